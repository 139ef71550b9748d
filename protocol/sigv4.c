/* placeholder: being written */
#include "sigv4.h"
