/* elbv2.c - AWS::ElasticLoadBalancingV2 drivers: not yet written (the emulator's ELBv2 is in progress). */
#include "resource.h"

const struct rs_driver *const rs_family_elbv2[] = {NULL};
