/* gasang run: parse the command line into a vm_config and hand it to the board. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "board/board.h"
#include "cli/cli.h"

/* Guest RAM bounds accepted on the command line. */
#define MEM_MIN (16 * MiB)
#define MEM_MAX (1024 * GiB)

static void run_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: gasang run [options]\n"
	    "\n"
	    "Boots a virtual machine. x86_64 guests run on KVM; riscv64 guests run on the\n"
	    "software engine.\n"
	    "\n"
	    "  --arch x86_64|riscv64     guest architecture (default x86_64)\n"
	    "  --accel kvm|emu|emu-interp  execution engine (default: kvm for x86_64, emu for\n"
	    "                            riscv64)\n"
	    "  --kernel FILE             bzImage, ELF vmlinux or Multiboot kernel (x86_64);\n"
	    "                            Linux Image (riscv64)\n"
	    "  --boot-protocol auto|bzimage|vmlinux64|pvh|multiboot  x86: how the kernel is\n"
	    "                            entered (default auto: a bzImage is decompressed on the\n"
	    "                            host and its vmlinux entered at its 64-bit entry;\n"
	    "                            bzimage: the kernel decompresses itself)\n"
	    "  --elf FILE                riscv64: bare ELF started in M-mode, HTIF at 'tohost'\n"
	    "  --initrd FILE             initial ramdisk (Multiboot: the single module)\n"
	    "  --append STRING           kernel command line\n"
	    "  --mem SIZE                guest RAM, e.g. 256M or 1G (default 256M)\n"
	    "  --cpus N                  number of vCPUs (default 1)\n"
	    "  --console stdio|file:PATH|virtio|none  where the guest console goes (default "
	    "stdio)\n"
	    "  --disk PATH[,ro][,id=ID]  virtio-blk disk (repeatable)\n"
	    "  --net user[,hostfwd=tcp::HOSTPORT-:GUESTPORT]|tap=NAME  virtio-net (repeatable)\n"
	    "  --rng                     virtio-rng device\n"
	    "  --virtio-transport pci|mmio  x86: how virtio devices attach (default pci)\n"
	    "  --vsock CID,uds=PATH      virtio-vsock device, host side on a Unix socket\n"
	    "  --stats                   print exit statistics at exit: by reason and by device\n"
	    "                            (count, total, mean, p99)\n"
	    "  -h, --help                this help\n"
	    "\n"
	    "The exit status is the guest's: 0 after poweroff, (v<<1)|1 after a debug-exit\n"
	    "write of v, non-zero after a guest error. On a terminal, Ctrl-A x quits.\n"
	    "SIGINT/SIGTERM stop the VM; SIGUSR1 pauses it, SIGUSR2 resumes it.\n");
}

enum {
	OPT_ARCH = 256,
	OPT_ACCEL,
	OPT_KERNEL,
	OPT_ELF,
	OPT_INITRD,
	OPT_APPEND,
	OPT_MEM,
	OPT_CPUS,
	OPT_CONSOLE,
	OPT_DISK,
	OPT_NET,
	OPT_RNG,
	OPT_VSOCK,
	OPT_STATS,
	OPT_VIRTIO_TRANSPORT,
	OPT_BOOT_PROTOCOL,
};

static const struct option run_opts[] = {
    {"arch", required_argument, NULL, OPT_ARCH},
    {"accel", required_argument, NULL, OPT_ACCEL},
    {"kernel", required_argument, NULL, OPT_KERNEL},
    {"elf", required_argument, NULL, OPT_ELF},
    {"initrd", required_argument, NULL, OPT_INITRD},
    {"append", required_argument, NULL, OPT_APPEND},
    {"mem", required_argument, NULL, OPT_MEM},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"console", required_argument, NULL, OPT_CONSOLE},
    {"disk", required_argument, NULL, OPT_DISK},
    {"net", required_argument, NULL, OPT_NET},
    {"rng", no_argument, NULL, OPT_RNG},
    {"vsock", required_argument, NULL, OPT_VSOCK},
    {"stats", no_argument, NULL, OPT_STATS},
    {"virtio-transport", required_argument, NULL, OPT_VIRTIO_TRANSPORT},
    {"boot-protocol", required_argument, NULL, OPT_BOOT_PROTOCOL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_disk(struct vm_config *c, char *arg)
{
	struct disk_config *d;
	char *save = NULL, *tok;

	if (c->ndisks == CONFIG_MAX_DEVS) {
		log_error("--disk: at most %d disks", CONFIG_MAX_DEVS);
		return -1;
	}
	d = &c->disks[c->ndisks];
	tok = strtok_r(arg, ",", &save);
	if (!tok || !*tok) {
		log_error("--disk: missing path");
		return -1;
	}
	d->path = tok;
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strcmp(tok, "ro") || !strcmp(tok, "readonly")) {
			d->readonly = true;
		} else if (!strncmp(tok, "id=", 3)) {
			d->id = tok + 3;
		} else {
			log_error("--disk: unknown option '%s'", tok);
			return -1;
		}
	}
	c->ndisks++;
	return 0;
}

static int parse_vsock(struct vm_config *c, char *arg)
{
	char *comma = strchr(arg, ',');

	if (!comma || strncmp(comma + 1, "uds=", 4) || !comma[5]) {
		log_error("--vsock: expected CID,uds=PATH");
		return -1;
	}
	*comma = '\0';
	if (parse_u64(arg, &c->vsock.cid) || c->vsock.cid < 3 || c->vsock.cid > 0xffffffffu) {
		log_error("--vsock: guest CID must be a number from 3 to 4294967295");
		return -1;
	}
	c->vsock.uds = comma + 5;
	c->vsock_enabled = true;
	return 0;
}

/* Parses argv into cfg. Returns 0, 1 when --help was printed, or -1 after an error line. */
int run_parse_args(int argc, char **argv, struct vm_config *cfg)
{
	uint64_t v;
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->arch = ARCH_X86_64;
	cfg->mem = 256 * MiB;
	cfg->cpus = 1;
	cfg->console = "stdio";
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", run_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_ARCH:
			if (!strcmp(optarg, "x86_64") || !strcmp(optarg, "x86-64"))
				cfg->arch = ARCH_X86_64;
			else if (!strcmp(optarg, "riscv64"))
				cfg->arch = ARCH_RISCV64;
			else {
				log_error("--arch: unknown architecture '%s' (x86_64 or riscv64)",
					  optarg);
				return -1;
			}
			break;
		case OPT_ACCEL:
			if (strcmp(optarg, "kvm") && strcmp(optarg, "emu") &&
			    strcmp(optarg, "emu-interp")) {
				log_error(
				    "--accel: unknown accelerator '%s' (kvm, emu, emu-interp)",
				    optarg);
				return -1;
			}
			cfg->accel = optarg;
			break;
		case OPT_KERNEL:
			cfg->kernel = optarg;
			break;
		case OPT_ELF:
			cfg->elf = optarg;
			break;
		case OPT_INITRD:
			cfg->initrd = optarg;
			break;
		case OPT_APPEND:
			cfg->append = optarg;
			break;
		case OPT_MEM:
			if (parse_size(optarg, &v)) {
				log_error("--mem: invalid size '%s' (e.g. 256M, 1G)", optarg);
				return -1;
			}
			/* A bare number means MiB, as with QEMU's -m. */
			if (strspn(optarg, "0123456789") == strlen(optarg))
				v = v > UINT64_MAX / MiB ? UINT64_MAX : v * MiB;
			if (v < MEM_MIN || v > MEM_MAX) {
				log_error("--mem: %s is out of range (16M to 1024G)", optarg);
				return -1;
			}
			cfg->mem = v;
			break;
		case OPT_CPUS:
			if (parse_u64(optarg, &v) || v == 0 || v > 256) {
				log_error("--cpus: '%s' is not a vCPU count from 1 to 256", optarg);
				return -1;
			}
			cfg->cpus = (unsigned)v;
			break;
		case OPT_CONSOLE:
			if (strcmp(optarg, "stdio") && strcmp(optarg, "virtio") &&
			    strcmp(optarg, "none") && (strncmp(optarg, "file:", 5) || !optarg[5])) {
				log_error("--console: expected stdio, file:PATH, virtio or none");
				return -1;
			}
			cfg->console = optarg;
			break;
		case OPT_DISK:
			if (parse_disk(cfg, optarg))
				return -1;
			break;
		case OPT_NET:
			if (cfg->nnets == CONFIG_MAX_DEVS) {
				log_error("--net: at most %d network devices", CONFIG_MAX_DEVS);
				return -1;
			}
			cfg->nets[cfg->nnets++].spec = optarg;
			break;
		case OPT_VIRTIO_TRANSPORT:
			if (strcmp(optarg, "pci") && strcmp(optarg, "mmio")) {
				log_error("--virtio-transport: expected pci or mmio");
				return -1;
			}
			cfg->virtio_transport = optarg;
			break;
		case OPT_BOOT_PROTOCOL:
			if (strcmp(optarg, "auto") && strcmp(optarg, "bzimage") &&
			    strcmp(optarg, "vmlinux64") && strcmp(optarg, "pvh") &&
			    strcmp(optarg, "multiboot")) {
				log_error("--boot-protocol: expected auto, bzimage, vmlinux64, pvh "
					  "or multiboot");
				return -1;
			}
			cfg->boot_protocol = optarg;
			break;
		case OPT_RNG:
			cfg->rng = true;
			break;
		case OPT_VSOCK:
			if (parse_vsock(cfg, optarg))
				return -1;
			break;
		case OPT_STATS:
			cfg->stats = true;
			break;
		case 'h':
			run_usage(stdout);
			return 1;
		default:
			if (optopt)
				log_error("run: option '%s' needs a value or is unknown",
					  argv[optind - 1]);
			else
				log_error("run: unknown option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		log_error("run: unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (!cfg->kernel && !cfg->elf) {
		log_error("run: no guest given (--kernel FILE%s)",
			  cfg->arch == ARCH_RISCV64 ? " or --elf FILE" : "");
		return -1;
	}
	if (cfg->elf && cfg->arch != ARCH_RISCV64) {
		log_error("run: --elf needs --arch riscv64");
		return -1;
	}
	if (cfg->accel && cfg->arch == ARCH_X86_64 && strcmp(cfg->accel, "kvm")) {
		log_error("run: x86_64 guests run only with --accel kvm");
		return -1;
	}
	if (cfg->accel && cfg->arch == ARCH_RISCV64 && !strcmp(cfg->accel, "kvm")) {
		log_error("run: riscv64 guests run on the software engine (--accel emu)");
		return -1;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	int r = run_parse_args(argc, argv, &cfg);

	if (r)
		return r > 0 ? 0 : 2;
	r = cfg.arch == ARCH_RISCV64 ? board_riscv_run(&cfg) : board_x86_run(&cfg);
	return r < 0 ? 1 : r;
}
