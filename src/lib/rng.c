/* xoshiro256** 1.0 by David Blackman and Sebastiano Vigna (public domain),
 * seeded through splitmix64 as its authors recommend, so that any 64-bit
 * seed, 0 included, gives a well-mixed non-zero state. */
#include "patience/rng.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void pt_rng_seed(pt_rng *rng, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&seed);
}

uint64_t pt_rng_next(pt_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* The top 53 bits fill a double's mantissa exactly: k / 2^53 for k < 2^53. */
double pt_rng_uniform(pt_rng *rng)
{
	return (double)(pt_rng_next(rng) >> 11) * 0x1.0p-53;
}
