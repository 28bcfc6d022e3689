// Vite build of the single-page app into web/dist, and the Vitest setup.
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  // npx vite: the dev server, with /api sent to a running stack
  // (OC_API_URL, default https://127.0.0.1:8443; self-signed accepted).
  server: {
    proxy: {
      '/api': { target: process.env.OC_API_URL || 'https://127.0.0.1:8443', secure: false, changeOrigin: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // The CSP allows scripts from 'self' only: no inline module preload.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 900,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
    // The machine is shared and slow at times: generous, not flaky.
    testTimeout: 30000,
  },
});
