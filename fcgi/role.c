/* Roles and their names, as stored in the database. */
#include <string.h>

#include "role.h"

static const char *const role_names[] = {"public", "viewer", "operator",
					 "admin"};

const char *
role_name(enum role r)
{
	if ((int)r < 0 || r > ROLE_ADMIN)
		return "public";
	return role_names[r];
}

int
role_parse(const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = ROLE_VIEWER; i <= ROLE_ADMIN; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}
