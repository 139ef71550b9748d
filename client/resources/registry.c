/* registry.c - every resource driver, by family. A new family is one file plus one row here. */
#include <string.h>

#include "resource.h"

extern const struct rs_driver *const rs_family_ec2[];
extern const struct rs_driver *const rs_family_iam[];
extern const struct rs_driver *const rs_family_logs_ssm[];
extern const struct rs_driver *const rs_family_elbv2[];
extern const struct rs_driver *const rs_family_ecs[];
extern const struct rs_driver *const rs_family_scaling[];
extern const struct rs_driver *const rs_family_rds[];
extern const struct rs_driver *const rs_family_ecr[];
extern const struct rs_driver *const rs_family_compute[];

static const struct rs_driver *const *const FAMILIES[] = {
    rs_family_ec2, rs_family_iam, rs_family_logs_ssm, rs_family_elbv2, rs_family_ecs, rs_family_scaling,
    rs_family_rds, rs_family_ecr, rs_family_compute, NULL,
};

const struct rs_driver *rs_find(const char *type)
{
    for (size_t f = 0; FAMILIES[f]; f++)
        for (size_t i = 0; FAMILIES[f][i]; i++)
            if (strcmp(FAMILIES[f][i]->type, type) == 0)
                return FAMILIES[f][i];
    return NULL;
}
