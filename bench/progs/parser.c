/* Benchmark program: a small switch-heavy parser.  Tokenize the input as text
 * of words, numbers, `key=value` pairs and separators with a byte-class switch
 * and a state machine; returns a digest of the counts, numbers and word hashes. */
#include "prog.h"

enum parse_state { ST_SPACE, ST_WORD, ST_NUMBER, ST_VALUE, ST_JUNK };

BENCH_PROG(parser)
{
	u64 n = bench_clamp(len, BENCH_MEM_LEN);
	u64 words = 0, numbers = 0, pairs = 0, lines = 0, junk = 0;
	u64 num = 0, numsum = 0, hash = 0, digest = 0;
	u32 st = ST_SPACE;

	for (u64 i = 0; i < n; i++) {
		u8 c = mem[i];

		switch (c) {
		case '0' ... '9':
			if (st == ST_WORD) {
				hash = hash * 31 + c;
				break;
			}
			if (st != ST_NUMBER && st != ST_VALUE) {
				st = ST_NUMBER;
				num = 0;
			}
			num = num * 10 + (c - '0');
			break;
		case 'a' ... 'z':
		case 'A' ... 'Z':
		case '_':
			if (st == ST_NUMBER || st == ST_VALUE)
				st = ST_JUNK;
			else if (st != ST_WORD && st != ST_JUNK) {
				st = ST_WORD;
				hash = 5381;
			}
			if (st == ST_WORD)
				hash = hash * 31 + (c | 0x20);
			break;
		case '=':
			if (st == ST_WORD) {
				pairs++;
				digest ^= hash;
				st = ST_VALUE;
				num = 0;
			} else {
				st = ST_JUNK;
			}
			break;
		case '\n':
			lines++;
			/* fall through */
		case ' ':
		case '\t':
		case ',':
		case ';':
			if (st == ST_WORD) {
				words++;
				digest += hash;
			} else if (st == ST_NUMBER || st == ST_VALUE) {
				numbers++;
				numsum += num;
			} else if (st == ST_JUNK) {
				junk++;
			}
			st = ST_SPACE;
			break;
		default:
			junk++;
			st = ST_JUNK;
			break;
		}
	}
	return digest ^ (words << 48 | numbers << 36 | pairs << 24 | lines << 16 | junk) ^
	       numsum * 0x9e3779b97f4a7c15ull;
}
