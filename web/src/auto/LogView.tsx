// One target's log, virtualised (100,000 lines stay smooth): follows the
// tail, pause, search with next/previous, download.
import { ActionIcon, Badge, Button, Group, Text, TextInput } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconDownload, IconPlayerPause, IconPlayerPlay } from '@tabler/icons-react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { LogModel } from './logmodel';

export function LogView({ model, version, target, name }: { model: LogModel; version: number; target: string; name: string }) {
  const [paused, setPaused] = useState(false);
  const [follow, setFollow] = useState(true);
  const [q, setQ] = useState('');
  const [hit, setHit] = useState(0);
  const frozen = useRef<number | null>(null);
  const all = model.linesOf(target);
  if (!paused) frozen.current = null;
  else if (frozen.current === null) frozen.current = all.length;
  const count = paused ? frozen.current ?? all.length : all.length;
  const parent = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({ count, getScrollElement: () => parent.current, estimateSize: () => 18, overscan: 20 });
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const hits = useMemo(() => model.search(target, q).filter((i) => i < count), [model, target, q, version, count]);
  const hitSet = useMemo(() => new Set(hits), [hits]);

  useEffect(() => {
    if (follow && !paused && count > 0) v.scrollToIndex(count - 1, { align: 'end' });
  }, [count, follow, paused, v]);

  // A new search shows its first match.
  useEffect(() => {
    if (!q || !hits.length) return;
    setFollow(false);
    v.scrollToIndex(hits[0], { align: 'center' });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);

  function jump(d: number) {
    if (!hits.length) return;
    const n = (hit + d + hits.length) % hits.length;
    setHit(n);
    setFollow(false);
    v.scrollToIndex(hits[n], { align: 'center' });
  }

  function download() {
    const blob = new Blob([model.text(target) + '\n'], { type: 'text/plain' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${name}.log`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  return (
    <div>
      <Group gap="xs" mb={6}>
        <Button size="compact-sm" variant="default" leftSection={paused ? <IconPlayerPlay size={14} /> : <IconPlayerPause size={14} />} onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </Button>
        <Button size="compact-sm" variant={follow ? 'filled' : 'default'} onClick={() => setFollow(!follow)}>
          Follow
        </Button>
        <TextInput
          size="xs"
          placeholder="Search the log"
          aria-label="Search the log"
          value={q}
          onChange={(e) => {
            setQ(e.currentTarget.value);
            setHit(0);
          }}
          onKeyDown={(e) => e.key === 'Enter' && jump(e.shiftKey ? -1 : 1)}
        />
        {q && (
          <Text size="xs" data-testid="log-hits">
            {hits.length ? `${hit + 1} of ${hits.length}` : 'no match'}
          </Text>
        )}
        <ActionIcon variant="default" aria-label="Previous match" onClick={() => jump(-1)}>
          <IconArrowUp size={14} />
        </ActionIcon>
        <ActionIcon variant="default" aria-label="Next match" onClick={() => jump(1)}>
          <IconArrowDown size={14} />
        </ActionIcon>
        <Button size="compact-sm" variant="default" leftSection={<IconDownload size={14} />} onClick={download}>
          Download
        </Button>
        <Badge variant="light" data-testid="log-lines">
          {count} line{count === 1 ? '' : 's'}
          {paused && all.length > count ? ` (+${all.length - count} new)` : ''}
        </Badge>
      </Group>
      <div
        ref={parent}
        data-testid="log"
        role="log"
        aria-label={`Log of ${name}`}
        onWheel={() => setFollow(false)}
        style={{ height: 420, overflow: 'auto', background: '#111', color: '#ddd', fontFamily: 'monospace', fontSize: 12, borderRadius: 6 }}
      >
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {v.getVirtualItems().map((it) => {
            const l = all[it.index];
            return (
              <div
                key={it.key}
                data-index={it.index}
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  transform: `translateY(${it.start}px)`,
                  height: 18,
                  whiteSpace: 'pre',
                  padding: '0 8px',
                  color: l.stream === 'stderr' ? '#ff8787' : undefined,
                  background: hitSet.has(it.index) ? (hits[hit] === it.index ? '#5c4a00' : '#3a3000') : undefined,
                }}
              >
                {l.text}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
