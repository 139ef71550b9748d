/* services.c - the registry of implemented services. */
#include "service.h"

extern const struct dd_service dd_service_sts;
extern const struct dd_service dd_service_ssm;
extern const struct dd_service dd_service_iam;
extern const struct dd_service dd_service_logs;
extern const struct dd_service dd_service_ec2;
extern const struct dd_service dd_service_ecs;
extern const struct dd_service dd_service_ecr;
extern const struct dd_service dd_service_elbv2;
extern const struct dd_service dd_service_rds;
extern const struct dd_service dd_service_cloudwatch;
extern const struct dd_service dd_service_application_autoscaling;
extern const struct dd_service dd_service_autoscaling;

const struct dd_service *const dd_services[] = {
    &dd_service_sts,
    &dd_service_ssm,
    &dd_service_iam,
    &dd_service_logs,
    &dd_service_ec2,
    &dd_service_ecs,
    &dd_service_ecr,
    &dd_service_elbv2,
    &dd_service_rds,
    &dd_service_cloudwatch,
    &dd_service_application_autoscaling,
    &dd_service_autoscaling,
    NULL,
};
