/* services.c - the registry of implemented services. */
#include "service.h"

extern const struct dd_service dd_service_sts;
extern const struct dd_service dd_service_ssm;
extern const struct dd_service dd_service_iam;
extern const struct dd_service dd_service_logs;
extern const struct dd_service dd_service_ec2;

const struct dd_service *const dd_services[] = {
    &dd_service_sts,
    &dd_service_ssm,
    &dd_service_iam,
    &dd_service_logs,
    &dd_service_ec2,
    NULL,
};
