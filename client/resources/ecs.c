/* ecs.c - AWS::ECS drivers: not yet written (the emulator's ECS is in progress). */
#include "resource.h"

const struct rs_driver *const rs_family_ecs[] = {NULL};
