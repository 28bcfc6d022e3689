/* Executors: the table of what the worker does for each kind of task. */
#include <string.h>

#include "exec.h"
#include "ssh.h"
#include "winrm.h"

static const struct executor exec_table[] = {
	{"target.test", exec_target_test},
	{"discovery.scan", exec_discovery_scan},
};

const struct executor *
exec_find(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof(exec_table) / sizeof(exec_table[0]); i++)
		if (strcmp(exec_table[i].kind, kind) == 0)
			return &exec_table[i];
	return NULL;
}

int
exec_global_init(void)
{
	if (ssh_global_init() < 0 || winrm_global_init() < 0)
		return -1;
	return 0;
}
