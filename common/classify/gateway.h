/* gateway.h - the infrastructure of filtering services (security
 * gateways), for suspect hard bounces.
 *
 * A company that puts Mimecast, Proofpoint, Cisco Secure Email, ... in
 * front of its mailboxes points its MX at the service's hosts, and the
 * service answers for the mailboxes; its "550 5.1.1 User unknown" may be
 * a policy block (doc/design.md, suspect).  The services are known by
 * their host names: a data table of host-name suffixes, each line with
 * the public source that shows it.  Adding a service is one table line
 * (gateway.c) and one line of tests/fixtures/rules/gateway-hosts.tsv.
 */
#ifndef REBOUND_GATEWAY_H
#define REBOUND_GATEWAY_H

#include <stddef.h>

typedef struct rebound_gateway_host {
	const char *suffix;	/* lower case, the host name ends ".suffix" */
	const char *service;	/* short name: "cisco", "proofpoint", ... */
	const char *source;	/* where the host names are published */
} rebound_gateway_host;

/* The service whose infrastructure host[0..n) is (any case), or NULL. */
const char *rebound_gateway_of_host(const char *host, size_t n);

/* The first host name in text[0..n) that belongs to a service ("host
 * mx1.example.iphmx.com[192.0.2.1] said: ..."): its service, and in
 * *host (when not NULL) where the host name starts and in *hlen its
 * length.  NULL when none does. */
const char *rebound_gateway_in_text(const char *text, size_t n,
				    const char **host, size_t *hlen);

/* The table, for the fixture test. */
const rebound_gateway_host *rebound_gateway_hosts(size_t *n);

#endif
