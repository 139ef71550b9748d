/* placeholder: being written */
#include "codec_internal.h"
const struct dd_codec codec_ec2 = {0};
