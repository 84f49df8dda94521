/* SPDX-License-Identifier: MIT */
#include "reports/report.h"
