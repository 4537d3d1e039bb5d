/* gateway.c - the infrastructure of filtering services (gateway.h). */
#include "gateway.h"

#include <stdbool.h>
#include <string.h>

#include "mail/strutil.h"

/* Host-name suffixes of filtering services, most specific first.  Only
 * MTA host names are looked up here (Remote-MTA, Reporting-MTA, the host
 * a notice says answered), never the words of a notice. */
static const rebound_gateway_host hosts[] = {
	{ "pphosted.com", "proofpoint",
	  "Proofpoint's customer MX records point to pphosted.com "
	  "(captaindns.com, \"Proofpoint Secure Email Gateway\", 2026-04)" },
	{ "ppe-hosted.com", "proofpoint",
	  "Proofpoint Essentials MX mx1-us1.ppe-hosted.com "
	  "(github.com/pect0ral/mail_recon, README)" },
	{ "iphmx.com", "cisco",
	  "Cisco Email Security, formerly IronPort Cloud: MX *iphmx* "
	  "(PowerShell Gallery, Posh365 Test-MXHandler)" },
	{ "mimecast.com", "mimecast",
	  "Mimecast customers point their MX at Mimecast's infrastructure "
	  "(spamresource.com, \"ISP Deliverability Guide: Mimecast\", "
	  "2024-02; MX *mimecast* in Posh365 Test-MXHandler)" },
	{ "barracudanetworks.com", "barracuda",
	  "Barracuda ESS: MX *barracudanetworks.com "
	  "(Posh365 Test-MXHandler)" },
	{ "messagelabs.com", "broadcom",
	  "Symantec/Broadcom Email Security.cloud: primary MX "
	  "clusterX.xx.messagelabs.com (support.symantec.com tech247121; "
	  "knowledge.broadcom.com 254105)" },
	{ "mailcontrol.com", "forcepoint",
	  "Forcepoint (formerly Websense): MX *in.mailcontrol.com "
	  "(Posh365 Test-MXHandler)" },
	{ "sophos.com", "sophos",
	  "Sophos Email: MX *.sophos.com, e.g. *eu-west*.sophos.com "
	  "(Posh365 Test-MXHandler)" },
	{ "fireeyecloud.com", "fireeye",
	  "FireEye Email Security Cloud: MX *fireeyecloud.com "
	  "(Posh365 Test-MXHandler)" },
	{ "mailguard.com.au", "mailguard",
	  "Mailguard (AU): MX *mailguard* (Posh365 Test-MXHandler)" },
};

#define NHOSTS (sizeof(hosts) / sizeof(*hosts))

const rebound_gateway_host *rebound_gateway_hosts(size_t *n)
{
	*n = NHOSTS;
	return hosts;
}

const char *rebound_gateway_of_host(const char *host, size_t n)
{
	/* A trailing dot of a fully qualified name. */
	while (n > 0 && host[n - 1] == '.')
		n--;
	for (size_t i = 0; i < NHOSTS; i++) {
		size_t sl = strlen(hosts[i].suffix);
		if (n < sl || !rebound_ascii_nieq(host + n - sl, hosts[i].suffix,
						   sl))
			continue;
		if (n == sl || host[n - sl - 1] == '.')
			return hosts[i].service;
	}
	return NULL;
}

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.';
}

const char *rebound_gateway_in_text(const char *text, size_t n,
				    const char **host, size_t *hlen)
{
	for (size_t i = 0; i < n;) {
		if (!host_char(text[i])) {
			i++;
			continue;
		}
		size_t start = i;
		bool dot = false;
		while (i < n && host_char(text[i])) {
			dot = dot || text[i] == '.';
			i++;
		}
		/* An address's domain is the recipient's, not a host
		   that answered. */
		bool in_address = (start > 0 && text[start - 1] == '@') ||
				  (i < n && text[i] == '@');
		if (!dot || in_address)
			continue;
		const char *service = rebound_gateway_of_host(text + start,
							      i - start);
		if (service != NULL) {
			if (host != NULL)
				*host = text + start;
			if (hlen != NULL)
				*hlen = i - start;
			return service;
		}
	}
	return NULL;
}
