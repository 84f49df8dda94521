/* SPDX-License-Identifier: MIT */
#include <stdio.h>
int main(void) { puts("imcq (bootstrap)"); return 0; }
