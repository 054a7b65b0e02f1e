/* jobs/main.c -- placeholder entry point until the CLI lands. */
#include <stdio.h>

#include "engine/common.h"

int
main(void)
{
    printf("sirnn %s\n", SR_VERSION);
    return 0;
}
