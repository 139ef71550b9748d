/*
 * ec2.h - what other services ask of EC2 (VPC networking).
 *
 * Load balancers, tasks and databases live in a VPC's subnets, behind its
 * security groups, with network interfaces of their own. These functions
 * run inside the caller's transaction (r) and use r's account and region.
 */
#ifndef DD_EC2_H
#define DD_EC2_H

#include <jansson.h>
#include <stdbool.h>

#include "service.h"

/* A subnet as other services need it. */
struct ec2_subnet_info {
    char vpc_id[64];
    char zone[32];    /* "us-east-1a" */
    char zone_id[32]; /* "use1-az6" */
    char cidr[32];
};

/* Fills `out` for `subnet_id`: 0, or 1 when there is no such subnet (no error recorded). */
int ec2_subnet_info(struct dd_request *r, const char *subnet_id, struct ec2_subnet_info *out);

/* The account's default VPC (created on first use, as EC2 does) into vpc_id ("" when the
 * account has none) and its subnets' ids appended to `subnet_ids`. 0 or -1 (r->err). */
int ec2_default_vpc_subnets(struct dd_request *r, char vpc_id[64], json_t *subnet_ids);

/* Whether the VPC exists. */
bool ec2_vpc_exists(struct dd_request *r, const char *vpc_id);

/* Whether the IPv4 address `ip` lies inside one of the VPC's CIDR blocks. */
bool ec2_vpc_contains_ip(struct dd_request *r, const char *vpc_id, const char *ip);

/* The VPC's default security group into sg_id ("" when the VPC does not exist). */
void ec2_vpc_default_sg(struct dd_request *r, const char *vpc_id, char sg_id[64]);

/* The VPC of security group `sg_id` into vpc_id: 0, or 1 when there is no such group. */
int ec2_sg_vpc(struct dd_request *r, const char *sg_id, char vpc_id[64]);

/*
 * Creates a requester-managed network interface (a service's own, "in-use",
 * which DeleteNetworkInterface refuses) in `subnet_id` with the groups
 * `group_ids` (borrowed; NULL: the VPC's default group). Its id and private
 * address into eni_id / ip. 0, or -1 with r->err set (EC2's error).
 */
int ec2_managed_eni_create(struct dd_request *r, const char *subnet_id, json_t *group_ids, const char *description,
                           char eni_id[64], char ip[16]);

/* Deletes a network interface made by ec2_managed_eni_create (gone already: nothing). */
void ec2_managed_eni_delete(struct dd_request *r, const char *eni_id);

/* Replaces the security groups of a network interface (ids borrowed; checked by the caller). */
void ec2_eni_set_groups(struct dd_request *r, const char *eni_id, json_t *group_ids);

/* ---- instances (ec2_instance.c): for EC2 Auto Scaling, ELBv2's instance targets and the ECS agent ---- */

/* An instance as other services need it. */
struct ec2_instance_info {
    char id[32];
    char state[16];        /* pending, running, stopping, stopped, shutting-down, terminated */
    char type[32];         /* "t3.medium" */
    char image_id[32];
    char subnet_id[32], vpc_id[32], zone[32], private_ip[16];
    char profile_arn[640]; /* the IAM instance profile's ARN, "" when none */
    int vcpus;             /* of the instance type */
    int memory_mib;
    int64_t launch_ms;
};

/* Launches `count` instances as RunInstances does with `in` (a RunInstances-shaped input,
 * borrowed: LaunchTemplate, ImageId, InstanceType, SubnetId, SecurityGroupIds,
 * IamInstanceProfile, UserData (base64), TagSpecifications, ...) and RunInstances' rules,
 * appending their ids to `ids`. They are pending, and running on the simulation clock.
 * 0, or -1 with r->err set (EC2's error and wording). */
int ec2_instances_run(struct dd_request *r, json_t *in, int count, json_t *ids);

/* Terminates an instance as TerminateInstances does (gone already: nothing). */
void ec2_instance_terminate(struct dd_request *r, const char *id);

/* Fills `out` for instance `id`: 0, or 1 when there is no such instance (no error recorded). */
int ec2_instance_get(struct dd_request *r, const char *id, struct ec2_instance_info *out);

/* The instance's user data, decoded, as a new NUL-terminated string, or NULL when it has none. */
char *ec2_instance_user_data(struct dd_request *r, const char *id);

#endif
