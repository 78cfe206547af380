// The umbrella header: everything a strata user needs.
#pragma once

#include "strata/check_grads.h"
#include "strata/checkpoint.h"
#include "strata/core/array.h"
#include "strata/core/dtype.h"
#include "strata/core/error.h"
#include "strata/grad.h"
#include "strata/io.h"
#include "strata/jit.h"
#include "strata/ops.h"
#include "strata/random.h"
#include "strata/scan.h"
#include "strata/vmap.h"
#include "strata/tree/tree.h"
