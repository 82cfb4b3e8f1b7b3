// SPDX-License-Identifier: GPL-2.0-only
/*
 * pvmem: the nested guest's memory and data helper for the paravirtual device scenarios
 * (bundle extra "pvdev", tools/testing/vmtest/bundle.d/pvdev.sh). Busybox has no fast way
 * to fill and check memory with a pattern, so this small static program does it.
 *
 *   pvmem gen SEED BYTES      write BYTES of a reproducible stream (SEED) to stdout (then
 *                             fsync it), its checksum on stderr
 *   pvmem check SEED BYTES    read BYTES from stdin, compare them with that stream; the
 *                             checksum (the same as gen's) or the first differing byte on
 *                             stderr, status 0 when equal
 *   pvmem udp-send ADDR PORT SIZE COUNT SEED
 *                             send COUNT UDP datagrams of SIZE bytes (a multiple of 8, at
 *                             least 16) to ADDR (IPv6, fe80::1%eth0) PORT as fast as the
 *                             socket takes them; datagram I holds I, then the stream of
 *                             (SEED, I); the count, the time and the checksum on stderr
 *   pvmem udp-recv PORT SIZE COUNT SEED IDLE MAX
 *                             receive such datagrams on [::]:PORT until COUNT arrived, IDLE
 *                             seconds passed without one after the first, or MAX seconds in
 *                             all; check each one's size and content, count the good, bad
 *                             and repeated ones; the checksum of the good ones (gen's when
 *                             all arrived) on stderr, status 0 when none was bad or repeated
 *                             and at least one arrived
 *   pvmem ctl                 read numbered commands from stdin, one a line:
 *                               N alloc MIB [S]    map MIB of anonymous memory (touched) as
 *                                                  slot S (0 or 1, default 0)
 *                               N fill SEED [S]    write the pattern SEED into every page
 *                               N verify SEED [S]  check every page holds pattern SEED
 *                               N free [S]         unmap slot S
 *                               N meminfo          MemTotal, MemFree, MemAvailable (kB)
 *                               N report ORDER     write the free page reporting order
 *                                                  (page_reporting.page_reporting_order)
 *                               N quit
 *                             and answer each with one line "N ok ..." or "N fail ..." on
 *                             stdout, copied to stderr (the guest console).
 *
 * The pattern of page P under SEED is a xorshift stream seeded by (SEED, P): every page of a
 * buffer differs from the others, and two guests that fill with the same SEED hold identical
 * pages (what KSM merges); a page that another guest's write reached would fail verify.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL

static uint64_t next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static uint64_t seed_of(uint64_t seed, uint64_t page)
{
	uint64_t s = (seed + 1) * 0x9e3779b97f4a7c15ULL ^ (page + 1) * 0xbf58476d1ce4e5b9ULL;

	return s ? s : 1;
}

static void fill_page(uint64_t *p, uint64_t seed, uint64_t page)
{
	uint64_t s = seed_of(seed, page);
	unsigned long i;

	for (i = 0; i < PAGE / 8; i++)
		p[i] = next(&s);
}

/* the index of the first bad word of the page, or -1 */
static long check_page(const uint64_t *p, uint64_t seed, uint64_t page)
{
	uint64_t s = seed_of(seed, page);
	unsigned long i;

	for (i = 0; i < PAGE / 8; i++)
		if (p[i] != next(&s))
			return (long)i;
	return -1;
}

/* the checksum of a stream: FNV-1a over 64-bit words, cheap enough for a nested guest */
static uint64_t sum_words(uint64_t h, const uint64_t *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ w[i]) * 0x100000001b3ULL;
	return h;
}

#define SUM0 0xcbf29ce484222325ULL
#define CHUNK (64 * PAGE)

static void fill_chunk(uint64_t *buf, uint64_t seed, uint64_t first_page)
{
	unsigned long i;

	for (i = 0; i < CHUNK / PAGE; i++)
		fill_page(buf + i * PAGE / 8, seed, first_page + i);
}

static int gen(uint64_t seed, unsigned long long bytes)
{
	static uint64_t buf[CHUNK / 8];
	unsigned long long total = bytes;
	uint64_t page = 0, h = SUM0;

	if (bytes % 8) {
		fprintf(stderr, "pvmem gen: BYTES must be a multiple of 8\n");
		return 2;
	}
	while (bytes) {
		size_t n = CHUNK, done = 0;

		fill_chunk(buf, seed, page);
		page += CHUNK / PAGE;
		if (n > bytes)
			n = bytes;
		h = sum_words(h, buf, n / 8);
		while (done < n) {
			ssize_t w = write(1, (char *)buf + done, n - done);

			if (w < 0) {
				if (errno == EINTR)
					continue;
				perror("pvmem gen: write");
				return 1;
			}
			done += w;
		}
		bytes -= n;
	}
	if (fsync(1) && errno != EINVAL && errno != EROFS) {
		perror("pvmem gen: fsync");
		return 1;
	}
	fprintf(stderr, "pvmem: gen seed %llu bytes %llu sum %016llx\n",
		(unsigned long long)seed, total, (unsigned long long)h);
	return 0;
}

/* read BYTES from stdin and compare them with the stream SEED */
static int check(uint64_t seed, unsigned long long bytes)
{
	static uint64_t want[CHUNK / 8], got[CHUNK / 8];
	unsigned long long off = 0;
	uint64_t page = 0, h = SUM0;

	while (off < bytes) {
		size_t n = CHUNK, have = 0;

		if (n > bytes - off)
			n = bytes - off;
		while (have < n) {
			ssize_t r = read(0, (char *)got + have, n - have);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				fprintf(stderr, "pvmem: check seed %llu FAIL: %s at byte %llu of %llu\n",
					(unsigned long long)seed, r ? strerror(errno) : "end of input",
					off + have, bytes);
				return 1;
			}
			have += r;
		}
		fill_chunk(want, seed, page);
		page += CHUNK / PAGE;
		if (memcmp(want, got, n)) {
			size_t i = 0;

			while (((char *)want)[i] == ((char *)got)[i])
				i++;
			fprintf(stderr, "pvmem: check seed %llu FAIL: byte %llu differs\n",
				(unsigned long long)seed, off + i);
			return 1;
		}
		h = sum_words(h, got, n / 8);
		off += n;
	}
	fprintf(stderr, "pvmem: check seed %llu bytes %llu sum %016llx ok\n",
		(unsigned long long)seed, bytes, (unsigned long long)h);
	return 0;
}

static void reply(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("%s\n", line);
	fflush(stdout);
	fprintf(stderr, "pvmem: %s\n", line);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void meminfo(long *total, long *freek, long *avail)
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	*total = *freek = *avail = -1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "MemTotal: %ld", total);
		sscanf(line, "MemFree: %ld", freek);
		sscanf(line, "MemAvailable: %ld", avail);
	}
	fclose(f);
}

#define SLOTS 2

static int ctl(void)
{
	char line[256], cmd[32];
	uint8_t *bufs[SLOTS] = { NULL };
	unsigned long npages[SLOTS] = { 0 };
	unsigned long long arg;
	unsigned int id, slot;

	setvbuf(stdin, NULL, _IOLBF, 0);
	reply("0 ok pvmem ready");
	while (fgets(line, sizeof(line), stdin)) {
		int n = sscanf(line, "%u %31s %llu %u", &id, cmd, &arg, &slot);
		double t0 = now();
		uint8_t **buf;
		unsigned long *pages;

		if (n < 2)
			continue;
		if (n < 4)
			slot = 0;
		if (slot >= SLOTS) {
			reply("%u fail slot %u: there are %d", id, slot, SLOTS);
			continue;
		}
		buf = &bufs[slot];
		pages = &npages[slot];
		if (!strcmp(cmd, "alloc") && n >= 3) {
			if (*buf)
				munmap(*buf, *pages * PAGE);
			*pages = arg * 1024 * 1024 / PAGE;
			*buf = mmap(NULL, *pages * PAGE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
			if (*buf == MAP_FAILED) {
				*buf = NULL;
				*pages = 0;
				reply("%u fail alloc %llu MiB: %s", id, arg, strerror(errno));
				continue;
			}
			reply("%u ok alloc %llu MiB slot %u", id, arg, slot);
		} else if (!strcmp(cmd, "fill") && n >= 3 && *buf) {
			unsigned long p;

			for (p = 0; p < *pages; p++)
				fill_page((uint64_t *)(*buf + p * PAGE), arg, p);
			reply("%u ok fill seed %llu slot %u pages %lu in %.2f s", id, arg, slot,
			      *pages, now() - t0);
		} else if (!strcmp(cmd, "verify") && n >= 3 && *buf) {
			unsigned long p, bad = 0, first = 0;
			long w = -1;

			for (p = 0; p < *pages; p++) {
				long b = check_page((const uint64_t *)(*buf + p * PAGE), arg, p);

				if (b >= 0 && !bad++) {
					first = p;
					w = b;
				}
			}
			if (bad)
				reply("%u fail verify seed %llu slot %u: %lu of %lu pages differ, first page %lu word %ld",
				      id, arg, slot, bad, *pages, first, w);
			else
				reply("%u ok verify seed %llu slot %u pages %lu in %.2f s", id, arg, slot,
				      *pages, now() - t0);
		} else if (!strcmp(cmd, "free")) {
			if (n >= 3)
				slot = arg;
			if (slot < SLOTS && bufs[slot])
				munmap(bufs[slot], npages[slot] * PAGE);
			if (slot < SLOTS) {
				bufs[slot] = NULL;
				npages[slot] = 0;
			}
			reply("%u ok free slot %u", id, slot);
		} else if (!strcmp(cmd, "meminfo")) {
			long t, f, a;

			meminfo(&t, &f, &a);
			reply("%u ok meminfo MemTotal %ld MemFree %ld MemAvailable %ld", id, t, f, a);
		} else if (!strcmp(cmd, "report") && n >= 3) {
			FILE *f = fopen("/sys/module/page_reporting/parameters/page_reporting_order", "w");

			if (!f || fprintf(f, "%llu\n", arg) < 0 || fclose(f)) {
				reply("%u fail report order %llu: %s", id, arg, strerror(errno));
				continue;
			}
			reply("%u ok report order %llu", id, arg);
		} else if (!strcmp(cmd, "quit")) {
			reply("%u ok quit", id);
			return 0;
		} else {
			reply("%u fail unknown or out of order: %s", id, cmd);
		}
	}
	reply("0 fail end of input");
	return 1;
}

/* --- the UDP flood (vhost_net_test) --- */

#define UDP_MAX	8192

/* datagram i: the word i, then the stream of (seed, i) */
static void udp_fill(uint64_t *w, size_t size, uint64_t seed, uint64_t i)
{
	uint64_t s = seed_of(seed, i);
	size_t k;

	w[0] = i;
	for (k = 1; k < size / 8; k++)
		w[k] = next(&s);
}

/* the checksum of datagrams: a sum of each one's FNV-1a, so that any order gives it */
static uint64_t udp_sum(const uint64_t *w, size_t size)
{
	return sum_words(SUM0, w, size / 8);
}

static int udp_size_ok(unsigned long size)
{
	if (size >= 16 && size <= UDP_MAX && !(size % 8))
		return 1;
	fprintf(stderr, "pvmem: SIZE must be a multiple of 8 from 16 to %d\n", UDP_MAX);
	return 0;
}

/* ADDR is an IPv6 address, with %IFNAME for a link-local one */
static int udp_send(const char *addr, int port, unsigned long size, unsigned long count,
		    uint64_t seed)
{
	static uint64_t buf[UDP_MAX / 8];
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	char host[64], *pct;
	uint64_t h = 0;
	unsigned long i;
	double t0;
	int fd;

	if (!udp_size_ok(size))
		return 2;
	snprintf(host, sizeof(host), "%s", addr);
	pct = strchr(host, '%');
	if (pct) {
		*pct = 0;
		sa.sin6_scope_id = if_nametoindex(pct + 1);
	}
	if (inet_pton(AF_INET6, host, &sa.sin6_addr) != 1) {
		fprintf(stderr, "pvmem udp-send: bad address %s\n", addr);
		return 2;
	}
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("pvmem udp-send: socket");
		return 1;
	}
	t0 = now();
	for (i = 0; i < count; i++) {
		udp_fill(buf, size, seed, i);
		h += udp_sum(buf, size);
		/* a full queue (ENOBUFS) is waited out: the flood is as fast as the link */
		while (sendto(fd, buf, size, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)size) {
			if (errno != ENOBUFS && errno != EINTR && errno != EAGAIN) {
				fprintf(stderr, "pvmem udp-send: datagram %lu: %s\n", i, strerror(errno));
				return 1;
			}
			usleep(1000);
		}
	}
	fprintf(stderr, "pvmem: udp sent %lu datagrams of %lu bytes in %.2f s sum %016llx\n",
		count, size, now() - t0, (unsigned long long)h);
	close(fd);
	return 0;
}

static int udp_recv(int port, unsigned long size, unsigned long count, uint64_t seed,
		    int idle, int max)
{
	static uint64_t buf[UDP_MAX / 8 + 1], want[UDP_MAX / 8];
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_ANY_INIT };
	unsigned long good = 0, bad = 0, dup = 0;
	double start = now(), first = 0, last = 0;
	int fd, rcvbuf = 8 << 20;
	unsigned char *seen;
	uint64_t h = 0;

	if (!udp_size_ok(size))
		return 2;
	seen = calloc(count + 1, 1);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (!seen || fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("pvmem udp-recv: socket");
		return 1;
	}
	/* room for a burst: as root, past net.core.rmem_max */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	while (good < count) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double t = now();
		ssize_t r;

		if (t - start > max || (first && t - last > idle))
			break;
		if (poll(&p, 1, 200) <= 0)
			continue;
		r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0)
			continue;
		last = now();
		if (!first)
			first = last;
		if ((size_t)r != size || buf[0] >= count) {
			bad++;
			continue;
		}
		udp_fill(want, size, seed, buf[0]);
		if (memcmp(want, buf, size)) {
			bad++;
			continue;
		}
		if (seen[buf[0]]++) {
			dup++;
			continue;
		}
		good++;
		h += udp_sum(buf, size);
	}
	fprintf(stderr, "pvmem: udp received %lu of %lu datagrams of %lu bytes in %.2f s, "
		"bad %lu, repeated %lu, sum %016llx %s\n", good, count, size,
		first ? last - first : 0.0, bad, dup, (unsigned long long)h,
		!bad && !dup && good ? "ok" : "FAIL");
	return !bad && !dup && good ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "gen"))
		return gen(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "check"))
		return check(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0));
	if (argc == 2 && !strcmp(argv[1], "ctl"))
		return ctl();
	if (argc == 7 && !strcmp(argv[1], "udp-send"))
		return udp_send(argv[2], atoi(argv[3]), strtoul(argv[4], NULL, 0),
				strtoul(argv[5], NULL, 0), strtoull(argv[6], NULL, 0));
	if (argc == 8 && !strcmp(argv[1], "udp-recv"))
		return udp_recv(atoi(argv[2]), strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0),
				strtoull(argv[5], NULL, 0), atoi(argv[6]), atoi(argv[7]));
	fprintf(stderr, "usage: pvmem gen SEED BYTES | pvmem check SEED BYTES | pvmem ctl |\n"
		"       pvmem udp-send ADDR PORT SIZE COUNT SEED |\n"
		"       pvmem udp-recv PORT SIZE COUNT SEED IDLE MAX\n");
	return 2;
}
