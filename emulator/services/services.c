/* services.c - the registry of implemented services. */
#include "service.h"

extern const struct dd_service dd_service_sts;
extern const struct dd_service dd_service_ssm;

const struct dd_service *const dd_services[] = {
    &dd_service_sts,
    &dd_service_ssm,
    NULL,
};
