/* `skep map ...` and `skep test-run --map/--dump-maps` as scripts drive
 * them: outputs, the JSON shapes, exit codes, and a pinned map shared
 * between the commands and the library.  Uses a private pin directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/harness.h"
#include "skep/maps.h"

#include <bpf/btf.h>
#include <errno.h>

/* r0 = ++map0[0] (lddw src 1, index 0), as raw instructions. */
static const unsigned char count_prog[] = {
	0x62, 0x0a, 0xfc, 0xff, 0x00, 0x00, 0x00, 0x00, /* *(u32 *)(r10 - 4) = 0 */
	0x18, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* r1 = map[0] */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xbf, 0xa2, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* r2 = r10 */
	0x07, 0x02, 0x00, 0x00, 0xfc, 0xff, 0xff, 0xff, /* r2 += -4 */
	0x85, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, /* call map_lookup_elem */
	0x55, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, /* if r0 != 0 goto +1 */
	0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* exit */
	0xb7, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, /* r1 = 1 */
	0xdb, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* lock *(u64 *)r0 += r1 */
	0x79, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* r0 = *(u64 *)r0 */
	0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* exit */
};

/* Types kept beside the pin: the dump prints typed fields after the hex,
 * and the JSON gains "formatted"; unpinning removes them too. */
static void test_btf_dump(struct harness *h)
{
	struct btf *btf = btf__new_empty();
	struct skep_map_btf mb = {0};
	uint32_t size;
	int u32, st, err = -ENOMEM;

	if (btf) {
		u32 = btf__add_int(btf, "u32", 4, 0);
		st = btf__add_struct(btf, "stats", 8);
		err = u32 < 0 || st < 0 || btf__add_field(btf, "pkts", u32, 0, 0) ||
		      btf__add_field(btf, "drops", u32, 32, 0);
		mb.btf = btf__raw_data(btf, &size);
		mb.btf_size = size;
		mb.key_type = (uint32_t)u32;
		mb.value_type = (uint32_t)st;
		err = err || !mb.btf ? -EINVAL : skep_map_pin_btf("counts", &mb);
	}
	harness_check(h, !err, "map_pin_btf", "error %d", err);
	harness_expect_skep(h, "map_dump_typed", "map dump counts", 0,
			    "key: (u32)7  value: (struct stats){.pkts = (u32)41,.drops = (u32)0,}");
	harness_expect_skep(h, "map_dump_typed_json", "map dump counts --json", 0,
			    "\"formatted\": {\"key\": \"(u32)7\", \"value\": \"(struct stats){");
	btf__free(btf);
}

int main(void)
{
	struct harness h = {0};
	char dir[128], prog[160], args[1024], cmd[400];
	struct skep_map *m = NULL;
	uint32_t k = 7;
	uint64_t v = 0;
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/skep-map-cli-%d", (int)getpid());
	setenv("SKEP_PIN_DIR", dir, 1);
	snprintf(prog, sizeof(prog), "%s.bin", dir);
	f = fopen(prog, "wb");
	if (f) {
		fwrite(count_prog, 1, sizeof(count_prog), f);
		fclose(f);
	}
	harness_expect_skep(&h, "map_list_empty", "map list --json", 0, "[]");
	harness_expect_skep(&h, "map_create", "map create counts hash 4 8 16", 0, NULL);
	harness_expect_skep(&h, "map_create_taken", "map create counts hash 4 8 16", 1, "exists");
	harness_expect_skep(&h, "map_create_bad", "map create bad hash 0 8 16", 2,
			    "Invalid argument");
	harness_expect_skep(&h, "map_update_u32", "map update counts u32:7 u64:41", 0, NULL);
	harness_expect_skep(&h, "map_update_hex",
			    "map update counts '08 00 00 00' 0x0100000000000000", 0, NULL);
	harness_expect_skep(&h, "map_update_noexist",
			    "map update counts u32:7 u64:1 --flags noexist", 1, "File exists");
	harness_expect_skep(&h, "map_update_bad_bytes", "map update counts u32:7 123", 2,
			    "not 8 bytes");
	harness_expect_skep(&h, "map_lookup_json", "map lookup counts u32:7 --json", 0,
			    "{\"key\": \"07000000\", \"value\": \"2900000000000000\"}");
	harness_expect_skep(&h, "map_dump_text", "map dump counts", 0,
			    "key: 07 00 00 00  value: 29 00");
	harness_expect_skep(&h, "map_dump_json", "map dump counts --json", 0,
			    "{\"key\": \"08000000\"");
	harness_expect_skep(&h, "map_dump_hist", "map dump counts --hist", 0, "[32, 64)");
	test_btf_dump(&h);
	harness_expect_skep(&h, "map_list", "map list --json", 0,
			    "{\"name\": \"counts\", \"type\": \"hash\", \"key_size\": 4");
	/* the library sees what the CLI wrote, and the other way round */
	harness_check(&h,
		      !skep_map_open_pinned("counts", &m) && !skep_map_lookup(m, &k, &v) && v == 41,
		      "map_cli_to_library", "value %llu", (unsigned long long)v);
	v = 5000;
	skep_map_update(m, &k, &v, 0);
	skep_map_free(m);
	harness_expect_skep(&h, "map_library_to_cli", "map lookup counts u32:7", 0,
			    "8813000000000000");
	harness_expect_skep(&h, "map_delete", "map delete counts u32:7", 0, NULL);
	harness_expect_skep(&h, "map_delete_missing", "map delete counts u32:7", 1, "No such file");
	harness_expect_skep(&h, "map_queue_create", "map create q queue 0 4 2", 0, NULL);
	harness_expect_skep(&h, "map_queue_push", "map update q - u32:9", 0, NULL);
	harness_expect_skep(&h, "map_queue_pop", "map pop q", 0, "value: 09000000");
	harness_expect_skep(&h, "map_queue_empty", "map pop q", 1, "No such file");
	harness_expect_skep(&h, "map_open_missing", "map dump nothere", 2, "cannot open");
	/* test-run with a pinned map and a fresh one, dumped as JSON */
	harness_expect_skep(&h, "test_run_map_create", "map create hits array 4 8 2", 0, NULL);
	snprintf(args, sizeof(args), "test-run %s --map hits --repeat 3 --dump-maps", prog);
	harness_expect_skep(&h, "test_run_dump_maps", args, 0, "key: 00 00 00 00  value: 03 00");
	snprintf(args, sizeof(args), "test-run %s --map hits --json --dump-maps --checked", prog);
	harness_expect_skep(
		&h, "test_run_dump_maps_json", args, 0,
		"\"maps\": {\"hits\": [{\"key\": \"00000000\", \"value\": \"0400000000000000\"}");
	snprintf(args, sizeof(args), "test-run %s --map array:4:8:1:fresh --json --dump-maps",
		 prog);
	harness_expect_skep(&h, "test_run_new_map", args, 0, "{\"retval\": 1,");
	snprintf(args, sizeof(args), "test-run %s", prog);
	harness_expect_skep(&h, "test_run_without_map", args, 1,
			    "insn 1: lddw_map_fd refers to a map");
	harness_expect_skep(&h, "map_unpin", "map unpin hits", 0, NULL);
	harness_expect_skep(&h, "map_unpin_again", "map unpin hits", 1, NULL);
	{
		struct skep_map_btf mb;
		harness_expect_skep(&h, "map_unpin_typed", "map unpin counts", 0, NULL);
		harness_check(&h, skep_map_pinned_btf("counts", &mb) == -ENOENT,
			      "map_unpin_removes_btf", "the types outlived the pin");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, prog);
	if (system(cmd)) {
		/* best effort */
	}
	return harness_exit(&h);
}
