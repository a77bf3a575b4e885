// SPDX-License-Identifier: MIT
#include <stdio.h>
#include "backprop.h"
int main(void) { printf("backprop %s\n", bp_version()); return 0; }
