/* services.c - the registry of implemented services. */
#include "service.h"

const struct dd_service *const dd_services[] = {
    NULL,
};
