#pragma once

/* configuration of the bundled microsha library, selected with -DMICROSHA_CONFIG_FILE */
#define MICROSHA_HMAC_BLOCK_SIZE 64
#define MICROSHA_DIGEST_SIZE 32
