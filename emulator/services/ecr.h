/*
 * ecr.h - what ECS asks of Amazon ECR.
 *
 * A task's container image that names a drydock ECR repository of the task's
 * own account and region (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or
 * .../REPO@sha256:DIGEST; no tag means "latest") must be there when the task
 * pulls it. Images anywhere else (Docker Hub, public.ecr.aws, another
 * account's registry) are not drydock's to check.
 */
#ifndef DD_ECR_H
#define DD_ECR_H

#include <stddef.h>

#include "service.h"

/*
 * Resolves `image_uri` in r's account and region: 0 when the image exists,
 * 1 when the URI is not an ECR URI of that account and region (not checked),
 * -1 when it does not exist, with the task's stoppedReason in `why`
 * (AWS's CannotPullContainerError wording).
 */
int ecr_image_resolve(struct dd_request *r, const char *image_uri, char *why, size_t why_len);

#endif
