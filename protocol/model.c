/* model.c - look-ups in the generated model tables (see model.h). */
#include "model.h"

#include <string.h>

const struct dd_service_model *model_find(const char *id)
{
    for (const struct dd_service_model *const *m = dd_models; *m; m++)
        if (strcmp((*m)->id, id) == 0)
            return *m;
    return NULL;
}

const struct dd_operation *model_operation(const struct dd_service_model *svc, const char *name)
{
    uint32_t lo = 0, hi = svc->operation_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, svc->operations[mid].name);
        if (c == 0)
            return &svc->operations[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const struct dd_member *model_member(const struct dd_service_model *svc, const struct dd_shape *shape,
                                     const char *name)
{
    if (shape->type != DD_T_STRUCTURE)
        return NULL;
    for (uint32_t i = 0; i < shape->count; i++) {
        const struct dd_member *m = &svc->members[shape->first + i];
        if (strcmp(m->name, name) == 0)
            return m;
    }
    return NULL;
}
