/* A small seedable PRNG (xoshiro256** seeded by splitmix64), so that jitter
 * is reproducible with --seed. Not for cryptography. */
#ifndef PATIENCE_RNG_H
#define PATIENCE_RNG_H

#include <stdint.h>

typedef struct pt_rng {
	uint64_t s[4];
} pt_rng;

void pt_rng_seed(pt_rng *rng, uint64_t seed);
uint64_t pt_rng_next(pt_rng *rng);
/* Uniform double in [0, 1). */
double pt_rng_uniform(pt_rng *rng);

#endif
