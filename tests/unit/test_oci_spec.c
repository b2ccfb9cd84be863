#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <cmocka.h>
#include <seccomp.h>

#include "oci/mounts.h"
#include "oci/spec.h"

static const char full[] =
    "{\"ociVersion\":\"1.1.0\",\"unknownTop\":{\"a\":[1,2]},"
    "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
    "\"hostname\":\"h\",\"domainname\":\"d\","
    "\"annotations\":{\"k\":\"v\"},"
    "\"process\":{\"terminal\":true,\"consoleSize\":{\"height\":24,\"width\":80},"
    "\"user\":{\"uid\":1,\"gid\":2,\"umask\":18,\"additionalGids\":[5,6]},"
    "\"args\":[\"sh\",\"-c\",\"x\"],\"env\":[\"A=1\",\"B=2\"],\"cwd\":\"/w\","
    "\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\",\"CAP_NOT_A_CAP\"],"
    "\"effective\":[\"cap_kill\"]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":10,\"hard\":20}],"
    "\"noNewPrivileges\":true,\"oomScoreAdj\":-5,\"futureField\":1},"
    "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"/s\","
    "\"options\":[\"rbind\",\"ro\",\"nosuid\",\"rprivate\",\"size=1m\"]}],"
    "\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\",\"args\":[\"true\",\"x\"],"
    "\"timeout\":5}],\"poststop\":[{\"path\":\"/bin/false\"}]},"
    "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},"
    "{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"},{\"type\":\"user\"},"
    "{\"type\":\"time\"}],"
    "\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10}],"
    "\"gidMappings\":[{\"containerID\":0,\"hostID\":2000,\"size\":20}],"
    "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},"
    "\"cgroupsPath\":\"/x/y\",\"rootfsPropagation\":\"rslave\","
    "\"resources\":{\"memory\":{\"limit\":1048576,\"swap\":2097152},"
    "\"cpu\":{\"shares\":512,\"quota\":1000,\"period\":10000,\"cpus\":\"0-1\"},"
    "\"pids\":{\"limit\":50},\"blockIO\":{\"weight\":100,"
    "\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1000}]},"
    "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
    "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}]},"
    "\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1,\"minor\":5,"
    "\"fileMode\":438}],"
    "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
    "\"architectures\":[\"SCMP_ARCH_X86_64\"],\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
    "\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
    "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,"
    "\"args\":[{\"index\":1,\"value\":511,\"op\":\"SCMP_CMP_EQ\"}]}]},"
    "\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\",\"/proc/bus\"],"
    "\"timeOffsets\":{\"boottime\":{\"secs\":100,\"nanosecs\":5}}}}";

static void test_full_config(void **state)
{
	struct oci_spec s;
	char err[512] = "";
	(void)state;

	assert_int_equal(spec_parse(full, &s, err, sizeof(err)), 0);
	assert_string_equal(s.oci_version, "1.1.0");
	assert_string_equal(s.root_path, "rootfs");
	assert_true(s.root_readonly);
	assert_string_equal(s.hostname, "h");
	assert_true(s.process.terminal);
	assert_int_equal(s.process.console_width, 80);
	assert_int_equal(s.process.uid, 1);
	assert_int_equal(s.process.gid, 2);
	assert_int_equal(s.process.ngids, 2);
	assert_int_equal(s.process.gids[1], 6);
	assert_int_equal(s.process.umask, 18);
	assert_int_equal(s.process.nargs, 3);
	assert_null(s.process.args[3]);
	assert_string_equal(s.process.env[1], "B=2");
	assert_string_equal(s.process.cwd, "/w");
	assert_int_equal(s.process.caps.bounding, (1ULL << 5) | (1ULL << 0));
	assert_int_equal(s.process.caps.effective, 1ULL << 5);
	assert_int_equal(s.process.rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(s.process.rlimits[0].hard, 20);
	assert_true(s.process.no_new_privileges);
	assert_int_equal(s.process.oom_score_adj, -5);
	assert_int_equal(s.nmounts, 2);
	assert_string_equal(s.mounts[1].options[3], "rprivate");
	assert_int_equal(s.nhooks[HOOK_PRESTART], 1);
	assert_int_equal(s.hooks[HOOK_PRESTART][0].timeout, 5);
	assert_string_equal(s.hooks[HOOK_PRESTART][0].args[1], "x");
	assert_int_equal(s.nhooks[HOOK_POSTSTOP], 1);
	assert_int_equal(s.nhooks[HOOK_POSTSTART], 0);
	assert_int_equal(s.nnamespaces, 5);
	assert_string_equal(spec_namespace(&s, CLONE_NEWNET)->path, "/proc/1/ns/net");
	assert_null(spec_namespace(&s, CLONE_NEWIPC));
	assert_int_equal(s.uid_maps[0].host_id, 1000);
	assert_int_equal(s.gid_maps[0].size, 20);
	assert_string_equal(s.sysctl[0].key, "net.ipv4.ip_forward");
	assert_string_equal(s.cgroups_path, "/x/y");
	assert_int_equal(s.res.mem_limit, 1048576);
	assert_int_equal(s.res.mem_swap, 2097152);
	assert_int_equal(s.res.mem_reservation, -1);
	assert_int_equal(s.res.cpu_shares, 512);
	assert_string_equal(s.res.cpu_cpus, "0-1");
	assert_int_equal(s.res.pids_limit, 50);
	assert_int_equal(s.res.blkio_weight, 100);
	assert_int_equal(s.res.nthrottle[0], 1);
	assert_int_equal(s.res.throttle[0][0].rate, 1000);
	assert_int_equal(s.res.ndev_rules, 2);
	assert_false(s.res.dev_rules[0].allow);
	assert_int_equal(s.res.dev_rules[0].type, 'a');
	assert_int_equal(s.res.dev_rules[1].minor, 3);
	assert_int_equal(s.devices[0].mode, 0666);
	assert_non_null(s.seccomp);
	assert_int_equal(s.seccomp->default_action, SCMP_ACT_ERRNO(38));
	assert_int_equal(s.seccomp->nrules, 2);
	assert_int_equal(s.seccomp->rules[1].action, SCMP_ACT_ERRNO(1));
	assert_int_equal(s.seccomp->rules[1].args[0].value, 511);
	assert_int_equal(s.seccomp->rules[1].args[0].op, SCMP_CMP_EQ);
	assert_true(s.seccomp->flag_log);
	assert_int_equal(s.nreadonly, 2);
	assert_true(s.has_time_offsets);
	assert_int_equal(s.boottime_secs, 100);
	assert_int_equal(s.boottime_nsecs, 5);
	spec_free(&s);
}

/* Each broken config must be rejected with the JSON path of the offending field. */
static void expect_error(const char *json, const char *path)
{
	struct oci_spec s;
	char err[512] = "";

	assert_int_equal(spec_parse(json, &s, err, sizeof(err)), -EINVAL);
	if (!strstr(err, path)) {
		print_error("error \"%s\" does not name \"%s\"\n", err, path);
		fail();
	}
	spec_free(&s);
}

#define MIN "\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"}"

static void test_errors_name_the_path(void **state)
{
	(void)state;
	expect_error("{", "invalid JSON");
	expect_error("[]", "(root)");
	expect_error("{\"root\":{\"path\":\"r\"}}", "ociVersion: required");
	expect_error("{\"ociVersion\":\"1\"}", "root: required");
	expect_error("{\"ociVersion\":1,"
		     "\"root\":{\"path\":\"r\"}}",
		     "ociVersion: expected a string");
	expect_error("{" MIN ",\"process\":{\"args\":\"sh\"}}", "process.args: expected an array");
	expect_error("{" MIN ",\"process\":{\"args\":[1]}}", "process.args[0]");
	expect_error("{" MIN ",\"process\":{\"cwd\":\"rel\"}}", "process.cwd");
	expect_error("{" MIN ",\"process\":{\"env\":[\"NOEQUALS\"]}}", "process.env");
	expect_error("{" MIN ",\"process\":{\"user\":{\"uid\":-1}}}", "process.user.uid");
	expect_error("{" MIN ",\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_X\",\"soft\":1,"
		     "\"hard\":1}]}}",
		     "process.rlimits[0].type");
	expect_error("{" MIN ",\"process\":{\"terminal\":\"yes\"}}", "process.terminal");
	expect_error("{" MIN ",\"mounts\":[{\"destination\":\"x\"}]}", "mounts[0]");
	expect_error("{" MIN ",\"mounts\":[{\"type\":\"tmpfs\"}]}", "mounts[0].destination");
	expect_error("{" MIN ",\"hooks\":{\"prestart\":[{\"path\":\"rel\"}]}}",
		     "hooks.prestart[0]");
	expect_error("{" MIN ",\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"timeout\":0}]}}",
		     "hooks.poststop[0].timeout");
	expect_error("{" MIN ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"x\"}]}}",
		     "linux.namespaces[1].type");
	expect_error("{" MIN ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
		     "duplicate");
	expect_error("{" MIN ",\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":1,"
		     "\"size\":1}]}}",
		     "linux.uidMappings");
	expect_error("{" MIN ",\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}",
		     "linux.resources.memory.limit");
	expect_error("{" MIN ",\"linux\":{\"resources\":{\"memory\":{\"swappiness\":101}}}}",
		     "linux.resources.memory.swappiness");
	expect_error("{" MIN ",\"linux\":{\"resources\":{\"devices\":[{\"type\":\"z\"}]}}}",
		     "linux.resources.devices[0]");
	expect_error("{" MIN ",\"linux\":{\"resources\":{\"devices\":[{\"access\":\"rwx\"}]}}}",
		     "linux.resources.devices[0]");
	expect_error("{" MIN ",\"linux\":{\"seccomp\":{\"defaultAction\":\"NOPE\"}}}",
		     "linux.seccomp.defaultAction");
	expect_error("{" MIN ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		     "\"syscalls\":[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":"
		     "[{\"index\":9,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
		     "linux.seccomp.syscalls[0].args[0].index");
	expect_error("{" MIN ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		     "\"syscalls\":[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":"
		     "[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_SORTA\"}]}]}}}",
		     "linux.seccomp.syscalls[0].args[0]");
	expect_error("{" MIN ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		     "\"architectures\":[\"SCMP_ARCH_Z80\"]}}}",
		     "linux.seccomp.architectures");
	expect_error("{" MIN ",\"linux\":{\"rootfsPropagation\":\"sideways\"}}",
		     "linux.rootfsPropagation");
	expect_error("{" MIN ",\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"q\"}]}}",
		     "linux.devices[0]");
	expect_error("{" MIN ",\"linux\":{\"sysctl\":{\"a.b\":1}}}", "linux.sysctl.a.b");
	expect_error("{" MIN ",\"annotations\":{\"k\":1}}", "annotations.k");
	expect_error("{" MIN ",\"linux\":{\"timeOffsets\":{\"boottime\":{\"nanosecs\":-1}}}}",
		     "linux.timeOffsets.boottime.nanosecs");
}

static void test_null_and_unknown_fields(void **state)
{
	struct oci_spec s;
	char err[512] = "";
	(void)state;

	assert_int_equal(spec_parse("{" MIN ",\"process\":null,\"hostname\":null,\"x\":{},"
				    "\"linux\":{\"y\":[1],\"resources\":{\"z\":1}}}",
				    &s, err, sizeof(err)),
			 0);
	assert_false(s.has_process);
	assert_null(s.hostname);
	assert_int_equal(s.res.mem_limit, -1);
	spec_free(&s);
}

static void test_mount_options(void **state)
{
	const char *o1[] = {"rbind", "ro", "nosuid", "rprivate", "size=1m", "mode=755"};
	const char *o2[] = {"bind", "rw", "exec", "shared", "noatime", "tmpcopyup"};
	struct mount_opts m;
	(void)state;

	mounts_parse_options(o1, 6, &m);
	assert_true(m.bind && m.rec);
	assert_int_equal(m.flags, MS_RDONLY | MS_NOSUID);
	assert_int_equal(m.propagation, MS_PRIVATE | MS_REC);
	assert_string_equal(m.data, "size=1m,mode=755");
	mounts_parse_options(o2, 6, &m);
	assert_true(m.bind && !m.rec);
	assert_int_equal(m.flags, MS_NOATIME);
	assert_int_equal(m.clear, MS_RDONLY | MS_NOEXEC);
	assert_int_equal(m.propagation, MS_SHARED);
	assert_string_equal(m.data, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_config),
	    cmocka_unit_test(test_errors_name_the_path),
	    cmocka_unit_test(test_null_and_unknown_fields),
	    cmocka_unit_test(test_mount_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
