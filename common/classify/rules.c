/* rules.c - the reason rules tables and their lookup.
 *
 * Order matters in the phrase table: the first matching entry wins.  The
 * groups run from the most specific cause (a virus, a DMARC failure) to the
 * most generic one (a rejection), so that "550 5.1.1 user unknown (blocked
 * by spam filter)" is a spam block, not an unknown user.
 *
 * Strong phrases name a cause outright and win over everything.  Weak ones
 * (the WEAK section at the end) are common wordings that a specific
 * enhanced status code refines: "message size exceeds" with 5.2.3 is an
 * administrative limit, "user unknown" with 5.2.1 a disabled mailbox.
 */
#include "rules.h"

#include <string.h>

#include "matcher.h"
#include "mail/strutil.h"

#define R(reason) REBOUND_REASON_##reason
/* P: a strong phrase rule, W: a weak one (see above). */
#define P(reason, lang, phrase) { R(reason), lang, phrase, 0, R(UNDEFINED) }
#define W(reason, lang, phrase) \
	{ R(reason), lang, phrase, REBOUND_RULE_WEAK, R(UNDEFINED) }
/* PB: a strong phrase whose reason is `bare` when no reply or status
 * code stands beside it (the MTA's own words). */
#define PB(reason, lang, phrase, bare) { R(reason), lang, phrase, 0, R(bare) }
/* PD: a strong phrase for a missing account that holds even after DATA
 * (REBOUND_RULE_AT_DATA in rules.h). */
#define PD(reason, lang, phrase) \
	{ R(reason), lang, phrase, REBOUND_RULE_AT_DATA, R(UNDEFINED) }

const rebound_phrase_rule rebound_phrase_rules[] = {
	/* --- providers' own codes: the code names the cause even where the
	   sentence beside it is generic ("Mail rejected. OFR_506"), so the
	   codes come first.  "ofr*_506" matches OFR_506 and OFR004_506. ---- */
	/* Orange / Wanadoo (OFR), La Poste (LPN) */
	P(TOOMANYCONN, "en", "ofr*_104"),
	P(BLOCKED, "en", "ofr*_105"),
	P(REQUIREPTR, "en", "ofr*_107"),
	P(BLOCKED, "en", "ofr*_108"),
	P(USERUNKNOWN, "en", "ofr*_416"),
	P(MAILBOXFULL, "en", "ofr*_417"),
	P(SUSPEND, "en", "ofr*_418"),
	P(SPAMDETECTED, "en", "ofr*_506"),
	P(AUTHFAILURE, "en", "ofr*_535"),
	P(BLOCKED, "en", "ofr*_999"),
	P(SPAMDETECTED, "en", "lpn007_510"),
	/* Charter / Spectrum AUP numbers; Cox (and Charter) CX codes */
	P(BLOCKED, "en", "aup#*1010"),
	P(BLOCKED, "en", "aup#*1020"),
	P(BLOCKED, "en", "aup#*1370"),
	P(REJECTED, "en", "aup#*1310"),
	P(TOOMANYCONN, "en", "cxcnct"),
	P(SPEEDING, "en", "cxmxrt"),
	P(REJECTED, "en", "cxsndr"),
	P(REQUIREPTR, "en", "cxdns"),
	P(SPAMDETECTED, "en", "urlbl"),
	/* Comcast: BL000nnn block lists, ES0000nn dynamic space,
	   RL0000nn rate limits */
	P(BLOCKED, "en", "bl000"),
	P(BLOCKED, "en", "es0000"),
	P(SPEEDING, "en", "rl0000"),
	/* Yahoo: TSS04/TS01/TS02 complaints, BL2n Spamhaus lists */
	P(BADREPUTATION, "en", "[tss04]"),
	P(BADREPUTATION, "en", "[ts01]"),
	P(BADREPUTATION, "en", "[ts02]"),
	P(BLOCKED, "en", "[bl21]"),
	P(BLOCKED, "en", "[bl22]"),
	P(BLOCKED, "en", "[bl23]"),
	/* Outlook.com: (S3150)/(S3140) block list, SC- spam/policy blocks,
	   DY- dynamic or compromised hosts, OU-001, RP- rate limits */
	P(BLOCKED, "en", "(s3150)"),
	P(BLOCKED, "en", "(s3140)"),
	P(BLOCKED, "en", "sc-00"),
	P(BLOCKED, "en", "dy-00"),
	P(BLOCKED, "en", "ou-001"),
	P(SPEEDING, "en", "rp-00"),
	/* GoDaddy (secureserver.net) IBnnn */
	P(SYSTEMERROR, "en", "ib101"),
	P(SECURITYERROR, "en", "ib401"),
	P(NOTCOMPLIANTRFC, "en", "ib501"),
	P(NOTCOMPLIANTRFC, "en", "ib502"),
	P(REJECTED, "en", "ib506"),
	P(AUTHFAILURE, "en", "ib508"),
	P(SPAMDETECTED, "en", "ib212"),
	/* NetEase (163.com): DT content, MI message, RP recipients */
	P(SPAMDETECTED, "en", "dt:spm"),
	P(BLOCKED, "en", "dt:rbl"),
	P(BLOCKED, "en", "mi:nhd"),
	P(NOTCOMPLIANTRFC, "en", "mi:imf"),
	P(AUTHFAILURE, "en", "mi:spf"),
	P(AUTHFAILURE, "en", "mi:dma"),
	P(SPEEDING, "en", "mi:stc"),
	P(TOOMANYCONN, "en", "mi:dmc"),
	P(NORELAYING, "en", "rp:frl"),
	P(TOOMANYCONN, "en", "rp:rcl"),
	P(SPEEDING, "en", "rp:qrc"),
	/* T-Online: "(RL)" after its block sentence is a rate limit */
	P(SPEEDING, "en", "clarify.) (rl)"),

	/* --- a domain that publishes a null MX ----------------------- */
	P(NOTACCEPT, "en", "doesn't receive email according to"),
	P(NOTACCEPT, "en", "does not receive email according to"),

	/* --- DNS failures reported as such ---------------------------- */
	P(NETWORKERROR, "en", "dns error"),
	P(NETWORKERROR, "en", "network error"),
	P(NETWORKERROR, "en", "dns type 'mx' lookup"),
	P(NETWORKERROR, "en", "host name lookup failure"),

	/* --- queue lifetime ---------------------------------------------- */
	P(EXPIRED, "en", "envelope expired"),
	P(EXPIRED, "en", "did not accept our requests to connect"),
	P(EXPIRED, "en", "connection timed out"),
	P(EXPIRED, "en", "connection timeout"),
	P(EXPIRED, "en", "delivery failed * attempts"),
	/* a gateway gives up on a message after hours of trying */
	P(EXPIRED, "en", "was aborted after * hour"),

	/* --- "User unknown" with an empty address slot ("550 : User
	   unknown") is a reception filter answering at DATA, not a lookup of
	   the recipient at RCPT ("550 <a@b>: User unknown"). ---------------- */
	P(FILTERED, "en", "550 : user unknown"),
	P(FILTERED, "en", ": : user unknown"),

	/* --- specific wordings that embed generic ones ------------------- */
	/* the sending IP blocked (because of spam it sent): a block of the
	   sender, not a verdict on this message */
	P(BLOCKED, "en", "client host blocked"),
	P(BLOCKED, "fr", "adresse ip source bloquee"),
	/* sending services that drop mail to an address on their own
	   suppression list (Amazon SES, Mailgun, Postmark) */
	P(SUPPRESSED, "en", "suppressed sending to this address"),
	P(SUPPRESSED, "en", "suppression list"),
	P(SUPPRESSED, "en", "not delivering to"),
	P(SUPPRESSED, "en", "marked as inactive"),
	/* Google 5.4.5: the sender's own daily quota, not a full mailbox */
	P(SPEEDING, "en", "sending quota"),
	/* GMX/WEB.DE: the sender's domain has no MX or address record */
	P(REJECTED, "en", "invalid dns mx or a/aaaa"),
	/* Yahoo: the MAIL FROM domain does not resolve */
	P(REJECTED, "en", "unresolvable rfc.5321 from"),
	/* Exim: the callout to the sender's own domain failed, whatever it
	   said about the address ("Unrouteable address") */
	P(REJECTED, "en", "sender verify failed"),
	P(POLICYVIOLATION, "en", "due to policy restrictions"),
	/* WEB.DE: too many messages stored, i.e. full */
	P(MAILBOXFULL, "en", "too many messages on the server"),
	/* QQ: the recipient gets too much mail just now */
	P(SPEEDING, "en", "mailbox unavailable or access denied"),
	/* Mimecast: a user's own list of blocked senders */
	P(FILTERED, "en", "envelope blocked - user"),
	P(HOSTUNKNOWN, "ja", "ドメインが存在しません"),
	P(SPAMDETECTED, "en", "scored as spam"),
	P(SPAMDETECTED, "en", "spam classification"),
	P(BADREPUTATION, "en", "user complaints"),
	P(AUTHFAILURE, "en", "sender is unauthenticated"),
	P(AUTHFAILURE, "en", "authentication checks failed"),
	P(AUTHFAILURE, "en", "bad spf"),
	P(AUTHFAILURE, "en", "spf record"),
	P(AUTHFAILURE, "en", "does not have authentication information"),
	P(SECURITYERROR, "en", "unauthenticated senders not allowed"),
	P(POLICYVIOLATION, "en", "content presents a potential"),
	P(POLICYVIOLATION, "en", "protocol violation"),
	/* QQ: the sender or its domain sends too often */
	P(SPEEDING, "en", "sender frequency limited"),
	P(SPEEDING, "en", "domain frequency limited"),
	P(TOOMANYCONN, "en", "frequency limited"),
	P(TOOMANYCONN, "en", "connection rate limit"),
	P(SPEEDING, "en", "too many recipients this hour"),
	P(SPEEDING, "en", "too many recipients received this hour"),
	P(REQUIREPTR, "en", "mismatches client ip"),
	/* the sending IP's DNS names do not confirm it */
	P(REQUIREPTR, "en", "unverifyable sending ip"),
	P(REQUIREPTR, "en", "unverifiable sending ip"),
	/* Mimecast: the sending network is not in a permitted-senders policy */
	P(POLICYVIOLATION, "en", "host network not allowed"),
	P(BLOCKED, "en", "not accepting connections"),
	P(BLOCKED, "en", "service refused"),
	P(BLOCKED, "fr", "service refuse"),
	P(BLOCKED, "en", "my name was rejected"),
	P(BLOCKED, "en", "invalid ip for sending"),
	P(BLOCKED, "en", "banned sending ip"),
	P(BLOCKED, "en", "which is an open relay"),
	P(SUSPEND, "en", "mailbox is frozen"),
	P(SUSPEND, "en", "account is locked"),
	P(SUSPEND, "en", "temporary locked"),
	P(SUSPEND, "en", "temporarily locked"),
	P(SUSPEND, "en", "account is blocked"),
	P(SUSPEND, "fr", "compte du destinataire est bloque"),
	P(MAILBOXFULL, "en", "mailfolder is full"),
	P(FILTERED, "en", "refused due to recipient preferences"),
	/* EZweb (au): the phone's domain filter, no reason given */
	P(FILTERED, "en", "each of the following recipients was rejected by a remote mail server"),
	P(NORELAYING, "en", "relay access denied"),
	/* a sending service refusing a From address it has not verified */
	P(NORELAYING, "en", "email address is not verified"),
	P(REJECTED, "en", "sender address rejected"),
	P(REJECTED, "en", "domain of sender address"),
	P(REJECTED, "en", "sender was rejected"),
	P(REJECTED, "en", "may not have permission to post"),
	P(REJECTED, "en", "don't have permission to post"),
	P(REJECTED, "en", "do not have permission to post"),
	P(REJECTED, "en", "purported responsible address"),
	P(NOTACCEPT, "en", "no mx record"),
	P(NOTACCEPT, "en", "no mx found"),
	P(NOTACCEPT, "en", "couldn't find a mail exchanger"),
	P(NOTACCEPT, "en", "could not find a mail exchanger"),
	P(USERUNKNOWN, "en", "address couldn't be found"),
	/* Yahoo checks accounts after DATA: "554 delivery error: dd This
	   user doesn't have a yahoo.com account" */
	PD(USERUNKNOWN, "en", "doesn't have a * account"),
	P(USERUNKNOWN, "en", "check if address is correct"),
	P(SYNTAXERROR, "en", "command parameter not implemented"),
	P(SYSTEMERROR, "en", "transaction failed"),
	P(SYSTEMERROR, "en", "service currently unavailable"),
	P(SYSTEMERROR, "en", "unable to contact ldap"),
	P(NETWORKERROR, "en", "unable to establish an smtp connection"),
	P(NETWORKERROR, "en", "wasn't able to establish an smtp connection"),
	/* --- provider code tables ------------------------------------------ */
	/* AOL: (DYN:Tn) dynamic address, (RLY:B1..) complaint blocks,
	   (CON:B1) connection limits */
	P(BLOCKED, "en", "dyn:t"),
	P(BLOCKED, "en", "rly:b"),
	P(TOOMANYCONN, "en", "con:b1"),
	/* NetEase (163.com): HL: the sending address, RP/MI: the transaction */
	P(TOOMANYCONN, "en", "hl:icc"),
	P(SPEEDING, "en", "hl:ifc"),
	P(BLOCKED, "en", "hl:rep"),
	P(BLOCKED, "en", "hl:mep"),
	P(TOOMANYCONN, "en", "rp:drc"),
	P(SPEEDING, "en", "mi:sfq"),
	/* Cox: CXBL, IPBL0001..IPBL1111 */
	P(BLOCKED, "en", "cxbl"),
	P(BLOCKED, "en", "ipbl0"),
	P(BLOCKED, "en", "ipbl1"),

	/* --- amavisd-new's verdicts: "554 5.7.0 Reject, id=12345-01 -
	   SPAM" (also INFECTED, BANNED, BAD-HEADER) ------------------------ */
	P(SPAMDETECTED, "en", "reject, id=* - spam"),
	P(VIRUSDETECTED, "en", "reject, id=* - infected"),
	P(POLICYVIOLATION, "en", "reject, id=* - banned"),
	P(NOTCOMPLIANTRFC, "en", "reject, id=* - bad-header"),

	/* --- virus ------------------------------------------------------ */
	P(VIRUSDETECTED, "en", "virus detected"),
	P(VIRUSDETECTED, "en", "virus found"),
	P(VIRUSDETECTED, "en", "contains a virus"),
	P(VIRUSDETECTED, "en", "infected with"),
	P(VIRUSDETECTED, "en", "malware detected"),
	P(VIRUSDETECTED, "en", "contains malware"),
	P(VIRUSDETECTED, "en", "contained a virus"),
	P(VIRUSDETECTED, "en", "virus signature"),
	P(VIRUSDETECTED, "zh", "病毒"),
	P(VIRUSDETECTED, "pt", "vírus"),
	P(VIRUSDETECTED, "ja", "ウイルス"),

	/* --- authentication: SPF, DKIM, DMARC ------------------------------ */
	P(AUTHFAILURE, "en", "dmarc policy"),
	P(AUTHFAILURE, "en", "dmarc validation"),
	P(AUTHFAILURE, "en", "failed dmarc"),
	P(AUTHFAILURE, "en", "dmarc check"),
	P(AUTHFAILURE, "en", "spf check"),
	P(AUTHFAILURE, "en", "spf validation"),
	P(AUTHFAILURE, "en", "spf fail"),
	P(AUTHFAILURE, "en", "spf: fail"),
	P(AUTHFAILURE, "en", "sender policy framework"),
	P(AUTHFAILURE, "en", "is not allowed to send mail from"),
	P(AUTHFAILURE, "en", "not designated as permitted sender"),
	P(AUTHFAILURE, "en", "is not a permitted sender"),
	P(AUTHFAILURE, "en", "dkim signature"),
	P(AUTHFAILURE, "en", "dkim validation"),
	P(AUTHFAILURE, "en", "authentication failed"),
	P(AUTHFAILURE, "en", "unauthenticated email"),
	P(AUTHFAILURE, "en", "does not pass authentication"),
	P(AUTHFAILURE, "en", "is unauthenticated"),
	P(AUTHFAILURE, "en", "does not pass spf"),
	P(AUTHFAILURE, "en", "spf policy"),
	P(AUTHFAILURE, "en", "spf or dkim"),

	/* --- reverse DNS ------------------------------------------------- */
	P(REQUIREPTR, "en", "no ptr record"),
	P(REQUIREPTR, "en", "no reverse dns"),
	P(REQUIREPTR, "en", "reverse dns"),
	P(REQUIREPTR, "en", "reverse lookup"),
	P(REQUIREPTR, "en", "rdns"),
	P(REQUIREPTR, "en", "ptr record"),
	P(REQUIREPTR, "en", "ptr resource record"),
	P(REQUIREPTR, "en", "cannot resolve your address"),
	P(REQUIREPTR, "en", "cannot find your hostname"),
	P(REQUIREPTR, "en", "cannot find your reverse hostname"),
	P(REQUIREPTR, "en", "client host rejected: cannot find your"),
	P(REQUIREPTR, "en", "unresolvable address"),
	P(REQUIREPTR, "en", "hostname does not resolve"),
	P(REQUIREPTR, "en", "does not have a reverse"),
	P(REQUIREPTR, "en", "ip name lookup failed"),
	/* AT&T */
	P(REQUIREPTR, "en", "failure in dns look-up"),

	/* --- spam content ------------------------------------------------ */
	P(SPAMDETECTED, "en", "spam detected"),
	P(SPAMDETECTED, "en", "detected as spam"),
	P(SPAMDETECTED, "en", "identified as spam"),
	P(SPAMDETECTED, "en", "considered spam"),
	P(SPAMDETECTED, "en", "classified as spam"),
	P(SPAMDETECTED, "en", "looks like spam"),
	P(SPAMDETECTED, "en", "message is spam"),
	P(SPAMDETECTED, "en", "spam message"),
	P(SPAMDETECTED, "en", "spam score"),
	P(SPAMDETECTED, "en", "rejected as spam"),
	P(SPAMDETECTED, "en", "high probability of spam"),
	P(SPAMDETECTED, "en", "unsolicited"),
	P(SPAMDETECTED, "en", "spamming"),
	P(SPAMDETECTED, "en", "bulk mail"),
	P(SPAMDETECTED, "en", "content filter"),
	P(SPAMDETECTED, "en", "message content rejected"),
	P(SPAMDETECTED, "en", "suspected spam"),
	P(SPAMDETECTED, "en", "likely spam"),
	P(SPAMDETECTED, "en", "suspicion of spam"),
	P(SPAMDETECTED, "en", "spam content"),
	P(SPAMDETECTED, "en", "spam filter"),
	/* Barracuda: "blocked by our Spam & Virus Firewall" */
	P(SPAMDETECTED, "en", "blocked by our spam"),
	P(SPAMDETECTED, "en", "anti-spam engine"),
	/* Google: a block for the content or its links */
	P(SPAMDETECTED, "en", "nature of the content"),
	/* Mimecast: MCSpamSignature */
	P(SPAMDETECTED, "en", "spamsignature"),
	P(SPAMDETECTED, "en", "no spam please"),
	/* QQ: content reported as spam by many users */
	P(SPAMDETECTED, "en", "mail content denied"),
	P(SPAMDETECTED, "de", "als spam"),
	P(SPAMDETECTED, "fr", "comme spam"),
	P(SPAMDETECTED, "ja", "迷惑メール"),
	P(SPAMDETECTED, "it", "come spam"),
	P(SPAMDETECTED, "es", "como spam"),
	P(SPAMDETECTED, "sv", "som spam"),
	P(SPAMDETECTED, "es", "considerado spam"),
	P(SPAMDETECTED, "pl", "jako spam"),
	P(SPAMDETECTED, "zh", "垃圾邮件"),

	/* --- sender reputation and blocklists ---------------------------- */
	P(BADREPUTATION, "en", "poor reputation"),
	P(BADREPUTATION, "en", "bad reputation"),
	P(BADREPUTATION, "en", "low reputation"),
	P(BADREPUTATION, "en", "sender reputation"),
	P(BADREPUTATION, "en", "ip reputation"),
	P(BADREPUTATION, "en", "reputation of"),

	P(BLOCKED, "en", "blacklisted"),
	P(BLOCKED, "en", "blocklisted"),
	P(BLOCKED, "en", "blacklist"),
	P(BLOCKED, "en", "blocklist"),
	P(BLOCKED, "en", "block list"),
	/* a gateway's list of senders its organisation refuses */
	P(BLOCKED, "en", "blocked senders"),
	P(BLOCKED, "en", "block policy"),
	P(BLOCKED, "en", "black list"),
	P(BLOCKED, "en", "is listed in"),
	P(BLOCKED, "en", "is listed on"),
	P(BLOCKED, "en", "spamhaus"),
	P(BLOCKED, "en", "spamcop"),
	P(BLOCKED, "en", "sorbs"),
	P(BLOCKED, "en", "dnsbl"),
	P(BLOCKED, "en", "your ip address"),
	P(BLOCKED, "en", "ip address is blocked"),
	P(BLOCKED, "en", "client host rejected"),
	P(BLOCKED, "en", "client host * blocked"),
	P(BLOCKED, "en", "connection rejected"),
	P(BLOCKED, "en", "blocked using"),
	P(BLOCKED, "en", "host blocked"),
	P(BLOCKED, "en", "dynamic ip"),
	P(BLOCKED, "en", "dial-up"),
	P(BLOCKED, "en", "dialup"),
	P(BLOCKED, "en", "residential"),
	P(BLOCKED, "en", "please use the smtp server of your isp"),
	P(BLOCKED, "en", "use your provider"),
	P(BLOCKED, "en", "not allowed to connect"),
	P(BLOCKED, "en", "banned sender"),
	/* Exchange Online: the sending account was blocked for spam */
	P(BLOCKED, "en", "bad outbound sender"),
	P(BLOCKED, "en", "not accepted from this ip"),
	P(BLOCKED, "en", "blocked from sending"),
	P(BLOCKED, "en", "not in whitelist"),
	P(BLOCKED, "en", "directly to our servers"),
	P(BLOCKED, "en", "please contact your internet service provider"),
	/* Outlook.com SC-002: mail to many invalid addresses */
	P(BLOCKED, "en", "namespace mining"),
	/* Yahoo TS03: deferred for good */
	P(BLOCKED, "en", "permanently deferred"),
	P(BLOCKED, "en", "block for spam"),
	P(BLOCKED, "en", "black ip"),
	P(BLOCKED, "en", "ip is rejected"),
	P(BLOCKED, "en", "listed at"),
	/* Trend Micro's reputation list, 4xx form of "blocked using" */
	P(BLOCKED, "en", "deferred using"),
	/* Proofpoint: "Blocked - see https://ipcheck..." */
	P(BLOCKED, "en", "blocked - see"),
	/* Naver and other Korean providers: the IP is filtered */
	P(BLOCKED, "en", "is filtered and this connection"),
	/* T-Online's block answer, "(BL)" */
	P(BLOCKED, "en", "ask your postmaster for help or to contact"),
	/* Mimecast: an administrator's blocked-senders policy */
	P(BLOCKED, "en", "envelope blocked"),
	/* Mimecast: a blocked-senders policy, at connection time */
	P(BLOCKED, "en", "sender address blocked"),
	/* AT&T: not a registered mail system */
	P(BLOCKED, "en", "unauthorized interface for"),
	/* IronPort: the host access table refuses the sender */
	P(BLOCKED, "en", "your access to submit messages"),

	/* --- too fast, too many ------------------------------------------ */
	P(SPEEDING, "en", "rate limit"),
	P(SPEEDING, "en", "rate-limit"),
	P(SPEEDING, "en", "ratelimit"),
	P(SPEEDING, "en", "sending rate"),
	P(SPEEDING, "en", "too fast"),
	P(SPEEDING, "en", "receiving mail at a rate"),
	P(SPEEDING, "en", "too quickly"),
	P(SPEEDING, "en", "relay limit exceeded"),
	P(SPEEDING, "en", "receive limit"),
	P(SPEEDING, "en", "how many messages can be sent"),
	P(SPEEDING, "en", "excessive volume"),
	P(SPEEDING, "en", "daily message quota"),
	/* Barracuda */
	P(SPEEDING, "en", "rate control"),
	P(SPEEDING, "zh", "频率过高"),
	P(TOOMANYCONN, "en", "too many connections"),
	P(TOOMANYCONN, "en", "too many simultaneous"),
	P(TOOMANYCONN, "en", "too many concurrent"),
	P(TOOMANYCONN, "en", "too many recipients"),
	P(TOOMANYCONN, "en", "too many messages"),
	P(TOOMANYCONN, "en", "connection limit"),
	P(TOOMANYCONN, "en", "too many sessions"),
	P(TOOMANYCONN, "en", "max message per connection"),

	/* --- relaying ---------------------------------------------------- */
	P(NORELAYING, "en", "relaying denied"),
	P(NORELAYING, "en", "not configured to relay"),
	P(NORELAYING, "en", "relay not permitted"),
	P(NORELAYING, "en", "relaying not permitted"),
	P(NORELAYING, "en", "relay denied"),
	P(NORELAYING, "en", "not permitted to relay"),
	P(NORELAYING, "en", "not allowed to relay"),
	P(NORELAYING, "en", "unable to relay"),
	P(NORELAYING, "en", "we do not relay"),
	P(NORELAYING, "en", "relaying to * denied"),
	P(NORELAYING, "en", "not a gateway"),
	P(NORELAYING, "en", "no relaying"),
	P(NORELAYING, "en", "insecure mail relay"),
	P(NORELAYING, "en", "relaying disallowed"),
	P(NORELAYING, "en", "denies relay"),
	P(NORELAYING, "en", "open relay not allowed"),
	P(NORELAYING, "en", "as a relay"),
	/* qmail: the domain is not one it receives for */
	P(NORELAYING, "en", "allowed rcpthosts"),
	P(NORELAYING, "en", "list of allowed hosts"),
	/* hMailServer: an external address without authentication */
	P(NORELAYING, "en", "delivery is not allowed to this address"),

	/* --- moved ------------------------------------------------------- */
	P(HASMOVED, "en", "has moved"),
	P(HASMOVED, "en", "not our customer"),
	P(HASMOVED, "en", "user not local; please try"),
	P(HASMOVED, "en", "address changed"),
	P(HASMOVED, "en", "no longer valid; please use"),

	/* --- mailbox full ------------------------------------------------ */
	P(MAILBOXFULL, "en", "mailbox full"),
	P(MAILBOXFULL, "en", "mailbox is full"),
	P(MAILBOXFULL, "en", "mailbox was full"),
	P(MAILBOXFULL, "en", "mail box full"),
	P(MAILBOXFULL, "en", "mailbox size limit"),
	P(MAILBOXFULL, "en", "mailbox has exceeded"),
	P(MAILBOXFULL, "en", "mailbox exceeded"),
	P(MAILBOXFULL, "en", "mailbox exceeds allowed size"),
	P(MAILBOXFULL, "en", "mailbox quota"),
	P(MAILBOXFULL, "en", "over quota"),
	P(MAILBOXFULL, "en", "overquota"),
	P(MAILBOXFULL, "en", "quota exceeded"),
	P(MAILBOXFULL, "en", "exceeded storage allocation"),
	P(MAILBOXFULL, "en", "exceeds quota"),
	P(MAILBOXFULL, "en", "exceed quota"),
	P(MAILBOXFULL, "en", "exceeded the quota"),
	P(MAILBOXFULL, "en", "disk quota"),
	P(MAILBOXFULL, "en", "insufficient disk space"),
	P(MAILBOXFULL, "en", "not enough disk space"),
	P(MAILBOXFULL, "en", "out of storage"),
	P(MAILBOXFULL, "en", "storage space"),
	P(MAILBOXFULL, "en", "inbox is full"),
	P(MAILBOXFULL, "en", "is over its"),
	P(MAILBOXFULL, "en", "user is over"),
	P(MAILBOXFULL, "en", "too much mail"),
	P(MAILBOXFULL, "en", "quota limit exceeded"),
	P(MAILBOXFULL, "de", "postfach voll"),
	P(MAILBOXFULL, "de", "postfach ist voll"),
	P(MAILBOXFULL, "fr", "boîte aux lettres pleine"),
	P(MAILBOXFULL, "fr", "boite aux lettres pleine"),
	P(MAILBOXFULL, "it", "casella piena"),
	P(MAILBOXFULL, "es", "buzón lleno"),
	P(MAILBOXFULL, "pt", "caixa postal cheia"),
	P(MAILBOXFULL, "sv", "brevlådan är full"),
	P(MAILBOXFULL, "ja", "容量"),
	P(MAILBOXFULL, "de", "quota überschritten"),
	P(MAILBOXFULL, "de", "postfachgröße überschritten"),
	P(MAILBOXFULL, "fr", "quota dépassé"),
	P(MAILBOXFULL, "fr", "quota depasse"),
	P(MAILBOXFULL, "fr", "boîte pleine"),
	P(MAILBOXFULL, "it", "quota superata"),
	P(MAILBOXFULL, "it", "casella di posta piena"),
	P(MAILBOXFULL, "es", "buzon lleno"),
	P(MAILBOXFULL, "es", "cuota excedida"),
	P(MAILBOXFULL, "pt", "caixa de correio cheia"),
	P(MAILBOXFULL, "pt", "cota excedida"),
	P(MAILBOXFULL, "nl", "mailbox is vol"),
	P(MAILBOXFULL, "nl", "postvak vol"),
	P(MAILBOXFULL, "sv", "inkorgen är full"),
	P(MAILBOXFULL, "pl", "skrzynka pełna"),
	P(MAILBOXFULL, "pl", "skrzynka odbiorcza jest pełna"),
	P(MAILBOXFULL, "ru", "ящик переполнен"),
	P(MAILBOXFULL, "zh", "邮箱已满"),
	P(MAILBOXFULL, "zh", "空间不足"),
	P(MAILBOXFULL, "ja", "メールボックスがいっぱい"),
	P(MAILBOXFULL, "pl", "skrzynka*przepełniona"),
	P(MAILBOXFULL, "it", "superato la quota"),
	P(MAILBOXFULL, "ko", "용량이 초과"),
	P(MAILBOXFULL, "tr", "posta kutusu dolu"),

	/* --- limits on the message ---------------------------------------- */
	P(MESGTOOBIG, "en", "mail size"),
	P(MESGTOOBIG, "de", "nachricht ist zu groß"),
	P(MESGTOOBIG, "de", "nachricht zu gross"),
	P(MESGTOOBIG, "fr", "message trop volumineux"),
	P(MESGTOOBIG, "it", "messaggio troppo grande"),
	P(MESGTOOBIG, "es", "mensaje demasiado grande"),
	P(MESGTOOBIG, "pt", "mensagem muito grande"),
	P(MESGTOOBIG, "nl", "bericht is te groot"),
	P(MESGTOOBIG, "sv", "meddelandet är för stort"),
	P(MESGTOOBIG, "en", "line limit exceeded"),
	P(MESGTOOBIG, "en", "message size limit exceeded"),
	P(MESGTOOBIG, "en", "mailsize"),
	P(EXCEEDLIMIT, "en", "exceeds the limit"),
	P(EXCEEDLIMIT, "en", "limit exceeded"),
	P(EXCEEDLIMIT, "en", "administrative limit"),

	/* --- account disabled --------------------------------------------- */
	P(SUSPEND, "en", "account disabled"),
	P(SUSPEND, "de", "postfach gesperrt"),
	P(SUSPEND, "de", "konto gesperrt"),
	P(SUSPEND, "de", "konto deaktiviert"),
	P(SUSPEND, "fr", "compte désactivé"),
	P(SUSPEND, "fr", "compte desactive"),
	P(SUSPEND, "fr", "compte suspendu"),
	P(SUSPEND, "it", "account disabilitato"),
	P(SUSPEND, "it", "casella disabilitata"),
	P(SUSPEND, "es", "cuenta deshabilitada"),
	P(SUSPEND, "es", "cuenta suspendida"),
	P(SUSPEND, "pt", "conta desativada"),
	P(SUSPEND, "pt", "conta suspensa"),
	P(SUSPEND, "ja", "利用停止"),
	P(SUSPEND, "en", "account has been disabled"),
	P(SUSPEND, "en", "account is disabled"),
	P(SUSPEND, "en", "account has been suspended"),
	P(SUSPEND, "en", "account is suspended"),
	P(SUSPEND, "en", "account suspended"),
	P(SUSPEND, "en", "mailbox disabled"),
	P(SUSPEND, "en", "mailbox is disabled"),
	P(SUSPEND, "en", "mailbox has been disabled"),
	P(SUSPEND, "en", "administratively disabled"),
	P(SUSPEND, "en", "mailbox is inactive"),
	P(SUSPEND, "en", "account is inactive"),
	P(SUSPEND, "en", "account inactive"),
	P(SUSPEND, "en", "inactive account"),
	P(SUSPEND, "en", "account has been frozen"),
	P(SUSPEND, "en", "temporarily disabled"),
	P(SUSPEND, "en", "is deactivated"),
	P(SUSPEND, "en", "not accepting mail"),
	P(SUSPEND, "en", "user is inactive"),
	P(SUSPEND, "en", "user is locked"),
	P(SUSPEND, "en", "user suspended"),
	P(SUSPEND, "en", "suspended user"),
	P(SUSPEND, "en", "currently suspended"),
	/* Orange OFR_418 */
	P(SUSPEND, "en", "archived recipient"),

	/* --- no such user -------------------------------------------------- */
	P(USERUNKNOWN, "en", "no such mailbox"),
	P(USERUNKNOWN, "en", "no such recipient"),
	P(USERUNKNOWN, "en", "no such account"),
	P(USERUNKNOWN, "en", "no such address"),
	P(USERUNKNOWN, "en", "no such person"),
	P(USERUNKNOWN, "en", "unknown recipient"),
	/* Exchange 2000/2003 notices. */
	P(USERUNKNOWN, "en", "recipient name is not recognized"),
	P(USERUNKNOWN, "en", "recipient unknown"),
	P(USERUNKNOWN, "en", "unknown address"),
	P(USERUNKNOWN, "en", "unknown local part"),
	P(USERUNKNOWN, "en", "unknown mailbox"),
	P(USERUNKNOWN, "en", "mailbox unknown"),
	P(USERUNKNOWN, "en", "mailbox not found"),
	P(USERUNKNOWN, "en", "mailbox unavailable"),
	P(USERUNKNOWN, "en", "mailbox does not exist"),
	P(USERUNKNOWN, "en", "user not found"),
	P(USERUNKNOWN, "en", "recipient rejected"),
	P(USERUNKNOWN, "en", "not listed in"),
	P(USERUNKNOWN, "de", "nicht im domino-verzeichnis"),
	P(USERUNKNOWN, "ja", "ディレクトリに登録されていません"),
	/* X.400: the O/R address names no one */
	P(USERUNKNOWN, "en", "unrecognized o/r name"),
	P(USERUNKNOWN, "en", "unrecognised o/r name"),
	P(USERUNKNOWN, "en", "no such user"),
	P(USERUNKNOWN, "en", "unknown user"),
	P(USERUNKNOWN, "en", "user unknown"),
	P(USERUNKNOWN, "en", "user doesn't exist"),
	P(USERUNKNOWN, "en", "user does not exist"),
	P(USERUNKNOWN, "en", "address does not exist"),
	P(USERUNKNOWN, "en", "account does not exist"),
	P(USERUNKNOWN, "en", "recipient does not exist"),
	P(USERUNKNOWN, "en", "invalid recipient"),
	P(USERUNKNOWN, "en", "invalid mailbox"),
	P(USERUNKNOWN, "en", "invalid address"),
	P(USERUNKNOWN, "en", "invalid user"),
	P(USERUNKNOWN, "en", "not a valid mailbox"),
	P(USERUNKNOWN, "en", "recipient not found"),
	/* Exim: a remote Exim's "550 Unrouteable address" to RCPT is an
	   address it does not know; the local Exim's own, with no reply,
	   says no router could take the domain */
	PB(USERUNKNOWN, "en", "unrouteable address", HOSTUNKNOWN),
	P(USERUNKNOWN, "en", "unroutable address"),
	P(USERUNKNOWN, "en", "no mailbox here"),
	P(USERUNKNOWN, "en", "no mailbox"),
	P(USERUNKNOWN, "en", "mailbox not available"),
	P(USERUNKNOWN, "en", "user invalid"),
	P(USERUNKNOWN, "en", "is not a known user"),
	P(USERUNKNOWN, "en", "user not exist"),
	P(USERUNKNOWN, "en", "recipientnotfound"),
	P(USERUNKNOWN, "en", "bad destination mailbox"),
	P(USERUNKNOWN, "en", "the email account that you tried to reach does not exist"),
	P(USERUNKNOWN, "de", "ungültige"),
	P(USERUNKNOWN, "fr", "utilisateur inconnu"),
	P(USERUNKNOWN, "fr", "destinataire inconnu"),
	P(USERUNKNOWN, "it", "utente sconosciuto"),
	P(USERUNKNOWN, "es", "usuario desconocido"),
	P(USERUNKNOWN, "pt", "usuário desconhecido"),
	P(USERUNKNOWN, "pt", "não existe"),
	P(USERUNKNOWN, "sv", "okänd mottagare"),
	P(USERUNKNOWN, "ja", "存在しません"),
	P(USERUNKNOWN, "ja", "宛先不明"),
	P(USERUNKNOWN, "de", "benutzer unbekannt"),
	P(USERUNKNOWN, "de", "unbekannter empfänger"),
	P(USERUNKNOWN, "de", "empfänger unbekannt"),
	P(USERUNKNOWN, "fr", "adresse inconnue"),
	P(USERUNKNOWN, "fr", "adresse introuvable"),
	P(USERUNKNOWN, "fr", "utilisateur inexistant"),
	P(USERUNKNOWN, "fr", "boîte aux lettres inexistante"),
	P(USERUNKNOWN, "fr", "boite aux lettres inexistante"),
	P(USERUNKNOWN, "it", "destinatario sconosciuto"),
	P(USERUNKNOWN, "it", "indirizzo inesistente"),
	P(USERUNKNOWN, "it", "utente inesistente"),
	P(USERUNKNOWN, "es", "destinatario desconocido"),
	P(USERUNKNOWN, "es", "usuario inexistente"),
	P(USERUNKNOWN, "es", "buzón inexistente"),
	P(USERUNKNOWN, "pt", "destinatário desconhecido"),
	P(USERUNKNOWN, "pt", "usuário inexistente"),
	P(USERUNKNOWN, "pt", "endereço inexistente"),
	P(USERUNKNOWN, "nl", "onbekende gebruiker"),
	P(USERUNKNOWN, "nl", "gebruiker onbekend"),
	P(USERUNKNOWN, "nl", "onbekende ontvanger"),
	P(USERUNKNOWN, "sv", "okänd användare"),
	P(USERUNKNOWN, "pl", "nieznany użytkownik"),
	P(USERUNKNOWN, "pl", "użytkownik nie istnieje"),
	P(USERUNKNOWN, "ru", "такого пользователя"),
	P(USERUNKNOWN, "zh", "用户不存在"),
	P(USERUNKNOWN, "zh", "收件人不存在"),
	P(USERUNKNOWN, "zh", "地址不存在"),
	P(USERUNKNOWN, "ru", "адресата не существует"),
	P(USERUNKNOWN, "ko", "주소가 존재하지 않"),
	P(USERUNKNOWN, "cs", "adresát neexistuje"),
	P(USERUNKNOWN, "zh", "使用者不存在"),
	/* Exchange / Microsoft 365 notices: "the email address you entered
	   couldn't be found", in the recipient's language */
	P(USERUNKNOWN, "de", "adresse*wurde nicht gefunden"),
	P(USERUNKNOWN, "fr", "adresse e-mail*introuvable"),
	P(USERUNKNOWN, "es", "no se encontró la dirección"),
	P(USERUNKNOWN, "pt", "endereço de email*não foi encontrado"),
	P(USERUNKNOWN, "it", "impossibile trovare l'indirizzo"),
	P(USERUNKNOWN, "nl", "e-mailadres*kan niet worden gevonden"),
	P(USERUNKNOWN, "sv", "e-postadressen*kunde inte hittas"),
	P(USERUNKNOWN, "pl", "nie można odnaleźć*adresu"),
	P(USERUNKNOWN, "ru", "не удалось найти*адрес"),
	P(USERUNKNOWN, "ja", "アドレスが見つかりません"),
	P(USERUNKNOWN, "zh", "找不到*地址"),
	P(USERUNKNOWN, "ko", "주소를 찾을 수 없습니다"),

	/* --- no such domain ------------------------------------------------ */
	P(HOSTUNKNOWN, "en", "host unknown"),
	P(HOSTUNKNOWN, "en", "domain is not reachable"),
	P(HOSTUNKNOWN, "en", "unknown host"),
	P(HOSTUNKNOWN, "en", "host not found"),
	P(HOSTUNKNOWN, "en", "domain not found"),
	P(HOSTUNKNOWN, "en", "unknown domain"),
	P(HOSTUNKNOWN, "en", "domain unknown"),
	P(HOSTUNKNOWN, "en", "no such domain"),
	P(HOSTUNKNOWN, "en", "domain does not exist"),
	/* a host name (written "host" by the classifier) named alone */
	P(HOSTUNKNOWN, "en", "host does not exist"),
	P(HOSTUNKNOWN, "de", "unbekannte domain"),
	P(HOSTUNKNOWN, "de", "domain existiert nicht"),
	P(HOSTUNKNOWN, "fr", "domaine inconnu"),
	P(HOSTUNKNOWN, "fr", "domaine inexistant"),
	P(HOSTUNKNOWN, "it", "dominio inesistente"),
	P(HOSTUNKNOWN, "es", "dominio inexistente"),
	P(HOSTUNKNOWN, "es", "dominio desconocido"),
	P(HOSTUNKNOWN, "pt", "domínio inexistente"),
	P(HOSTUNKNOWN, "nl", "onbekend domein"),
	P(HOSTUNKNOWN, "sv", "okänd domän"),
	P(HOSTUNKNOWN, "pl", "domena nie istnieje"),
	P(HOSTUNKNOWN, "zh", "域名不存在"),
	P(HOSTUNKNOWN, "en", "name or service not known"),
	P(HOSTUNKNOWN, "en", "name service error"),
	P(HOSTUNKNOWN, "en", "host or domain name not found"),
	P(HOSTUNKNOWN, "en", "nxdomain"),
	P(HOSTUNKNOWN, "en", "all relevant mx records point to non-existent hosts"),
	P(HOSTUNKNOWN, "en", "unrouteable mail domain"),
	P(HOSTUNKNOWN, "en", "illegal host/domain name"),
	P(HOSTUNKNOWN, "en", "unable to resolve the domain"),

	/* --- malformed commands --------------------------------------------- */
	P(SYNTAXERROR, "en", "syntax error"),
	/* Exim: a recipient that could not be parsed was dropped. */
	P(SYNTAXERROR, "en", "malformed address"),
	P(SYNTAXERROR, "en", "improper sequence of commands"),
	P(SYNTAXERROR, "en", "command unrecognized"),
	P(SYNTAXERROR, "en", "command not recognized"),
	P(SYNTAXERROR, "en", "bad sequence of commands"),

	/* --- the message waited too long ------------------------------------ */
	P(EXPIRED, "en", "delivery time expired"),
	P(EXPIRED, "en", "retry time exceeded"),
	P(EXPIRED, "en", "retry timeout exceeded"),
	P(EXPIRED, "en", "message expired"),
	P(EXPIRED, "en", "has expired"),
	P(EXPIRED, "en", "was not delivered within"),
	P(EXPIRED, "en", "too long in the queue"),
	P(EXPIRED, "en", "delivery expired"),
	P(EXPIRED, "en", "all hosts have been failing for a long time"),
	P(EXPIRED, "en", "have been failing for a long time"),

	/* --- transport ----------------------------------------------------- */
	P(FAILEDSTARTTLS, "en", "must issue a starttls"),
	P(FAILEDSTARTTLS, "en", "starttls"),
	P(FAILEDSTARTTLS, "en", "tls required"),
	P(NETWORKERROR, "en", "could not connect"),
	P(NETWORKERROR, "en", "unable to connect"),
	P(NETWORKERROR, "en", "network is unreachable"),
	P(NETWORKERROR, "en", "no route to host"),
	P(NETWORKERROR, "en", "mail loop"),
	P(NETWORKERROR, "en", "loops back to myself"),
	P(NETWORKERROR, "en", "routing loop"),
	P(NETWORKERROR, "en", "forwarding loop"),
	P(NETWORKERROR, "en", "looping message"),
	P(NETWORKERROR, "en", "message is looping"),
	P(NETWORKERROR, "en", "too many hops"),
	P(NETWORKERROR, "en", "dns lookup"),
	P(NETWORKERROR, "en", "dns query failed"),
	P(NETWORKERROR, "en", "lost connection"),
	P(NETWORKERROR, "en", "connection reset"),
	P(NETWORKERROR, "en", "connection dropped"),

	/* --- the receiving system ---------------------------------------- */
	P(SYSTEMFULL, "en", "insufficient system storage"),
	P(SYSTEMFULL, "en", "system storage"),
	P(SYSTEMFULL, "en", "disk full"),
	P(SYSTEMFULL, "en", "out of disk"),
	P(SYSTEMERROR, "en", "system error"),
	P(SYSTEMERROR, "en", "internal error"),
	P(SYSTEMERROR, "en", "server error"),
	P(SYSTEMERROR, "en", "local error"),
	P(SYSTEMERROR, "en", "configuration error"),
	P(SYSTEMERROR, "en", "misconfigured"),
	/* qmail: an MX for a domain it does not know as local */
	P(SYSTEMERROR, "en", "best-preference mx"),
	P(MAILERERROR, "en", "command output"),
	P(MAILERERROR, "en", "command died"),
	P(MAILERERROR, "en", "pipe to"),
	P(MAILERERROR, "en", "mailer error"),
	P(MAILERERROR, "en", "procmail"),
	P(MAILERERROR, "en", "x-unix"),

	/* --- content --------------------------------------------------------- */
	P(NOTCOMPLIANTRFC, "en", "not rfc"),
	P(NOTCOMPLIANTRFC, "en", "rfc 5322"),
	P(NOTCOMPLIANTRFC, "en", "rfc5322"),
	P(NOTCOMPLIANTRFC, "en", "rfc 2822"),
	P(NOTCOMPLIANTRFC, "en", "rfc2822"),
	P(NOTCOMPLIANTRFC, "en", "duplicate header"),
	P(NOTCOMPLIANTRFC, "en", "multiple addresses in"),
	P(NOTCOMPLIANTRFC, "en", "valid address in from: header"),
	P(NOTCOMPLIANTRFC, "en", "bare linefeed"),
	P(NOTCOMPLIANTRFC, "en", "valid message-id"),
	P(CONTENTERROR, "en", "content rejected"),
	P(CONTENTERROR, "en", "improper use of 8-bit data"),
	P(POLICYVIOLATION, "en", "policy violation"),
	P(POLICYVIOLATION, "en", "violates our"),
	P(POLICYVIOLATION, "en", "violation of"),
	P(POLICYVIOLATION, "en", "not allowed by policy"),
	P(POLICYVIOLATION, "en", "local policy"),
	P(POLICYVIOLATION, "en", "due to policy"),
	P(POLICYVIOLATION, "en", "policy reasons"),
	P(POLICYVIOLATION, "en", "violates * policy"),
	P(POLICYVIOLATION, "en", "external forwarding"),
	P(POLICYVIOLATION, "en", "anti-spoofing policy"),
	/* Exim's default answer to an ACL "deny" */
	P(POLICYVIOLATION, "en", "administrative prohibition"),
	P(SECURITYERROR, "en", "authentication required"),
	P(SECURITYERROR, "en", "must authenticate"),
	P(SECURITYERROR, "en", "security policy"),
	P(SECURITYERROR, "en", "password not accepted"),
	P(SECURITYERROR, "en", "authentication unsuccessful"),

	/* --- the sender ------------------------------------------------------ */
	P(NOTACCEPT, "en", "does not accept mail"),
	P(NOTACCEPT, "en", "not accept any mail"),
	P(NOTACCEPT, "en", "null mx"),
	P(NOTACCEPT, "en", "accepts no mail"),
	P(REJECTED, "en", "sender rejected"),
	P(REJECTED, "en", "sender domain"),
	P(REJECTED, "en", "sender denied"),
	P(REJECTED, "en", "invalid sender"),

	/* --- filtered by the recipient --------------------------------------- */
	P(FILTERED, "en", "filtered"),
	P(FILTERED, "en", "refused by the recipient"),
	P(FILTERED, "en", "message refused"),
	P(FILTERED, "en", "rejected by recipient"),
	P(FILTERED, "en", "reject list"),
	/* Sieve "reject" (Dovecot Pigeonhole) */
	P(FILTERED, "en", "was automatically rejected"),
	/* Exchange: the recipient accepts mail only from some senders */
	P(FILTERED, "en", "delivery to this address is restricted"),
	P(FILTERED, "ja", "受信拒否"),
	P(ONHOLD, "en", "on hold"),

	/* === WEAK: generic wordings, outranked by a specific status === */
	/* before Postfix's generic prefix: "Recipient address rejected:
	   Delivery not authorized" is the recipient's restriction, not a
	   missing address */
	W(FILTERED, "en", "delivery not authorized"),
	W(USERUNKNOWN, "en", "recipient address rejected"),
	W(USERUNKNOWN, "en", "address rejected"),
	W(USERUNKNOWN, "en", "does not exist"),
	W(USERUNKNOWN, "en", "doesn't exist"),
	W(USERUNKNOWN, "en", "no longer available"),
	W(USERUNKNOWN, "en", "does not like recipient"),
	W(USERUNKNOWN, "en", "email address not valid"),
	W(USERUNKNOWN, "de", "unbekannt"),
	W(USERUNKNOWN, "de", "existiert nicht"),
	W(USERUNKNOWN, "fr", "n'existe pas"),
	W(USERUNKNOWN, "it", "non esiste"),
	W(USERUNKNOWN, "es", "no existe"),
	W(USERUNKNOWN, "sv", "finns inte"),
	W(USERUNKNOWN, "pl", "nie istnieje"),
	W(USERUNKNOWN, "ru", "не существует"),
	W(USERUNKNOWN, "cs", "neexistuje"),
	W(USERUNKNOWN, "vi", "không tồn tại"),
	/* "<the recipient's mailbox> is full", said in many ways */
	W(MAILBOXFULL, "de", "ist voll"),
	W(MAILBOXFULL, "fr", "est pleine"),
	W(MAILBOXFULL, "it", "è piena"),
	W(MAILBOXFULL, "es", "está lleno"),
	W(MAILBOXFULL, "pt", "está cheia"),
	W(MAILBOXFULL, "nl", "is vol"),
	W(MAILBOXFULL, "sv", "är full"),
	W(MAILBOXFULL, "pl", "jest pełna"),
	W(MAILBOXFULL, "ru", "переполнен"),
	W(MAILBOXFULL, "ko", "가득 찼"),
	W(MESGTOOBIG, "en", "message size exceeds"),
	W(MESGTOOBIG, "en", "exceeds size limit"),
	W(MESGTOOBIG, "en", "message size limit"),
	W(MESGTOOBIG, "en", "exceeds the maximum message size"),
	W(MESGTOOBIG, "en", "message is too big"),
	W(MESGTOOBIG, "en", "message is too large"),
	W(MESGTOOBIG, "en", "message too big"),
	W(MESGTOOBIG, "en", "message too large"),
	W(MESGTOOBIG, "en", "message is too long"),
	W(MESGTOOBIG, "en", "message length exceeds"),
	W(MESGTOOBIG, "en", "size exceeds"),
	W(MESGTOOBIG, "fr", "trop volumineux"),
	W(MESGTOOBIG, "es", "demasiado grande"),
	W(MESGTOOBIG, "ja", "大きすぎ"),
	W(NOTACCEPT, "en", "no mx"),
	W(HOSTUNKNOWN, "en", "recipient domain"),
	W(HOSTUNKNOWN, "en", "domain is not"),
	/* a refusal that names no cause */
	W(REJECTED, "en", "access denied"),
	W(BLOCKED, "en", "has been blocked"),
	W(BLOCKED, "en", "is blocked"),
	W(BLOCKED, "en", "connection refused"),
	W(BLOCKED, "en", "service not available"),
	W(BLOCKED, "en", "temporarily deferred"),
	W(BLOCKED, "en", "your ip"),
	W(BLOCKED, "en", "rbl"),
	W(FILTERED, "en", "message rejected"),
	W(CONTENTERROR, "en", "attachment"),
	W(POLICYVIOLATION, "en", "prohibited"),
	W(REJECTED, "en", "mail from"),
	W(NETWORKERROR, "en", "timed out"),
	W(EXPIRED, "en", "could not be delivered for"),
	/* a temporary failure that names no cause: the message waits */
	W(ONHOLD, "en", "temporary failure"),
	W(SYSTEMERROR, "en", "service unavailable"),
	W(SPEEDING, "en", "try again later"),
	W(EXPIRED, "en", "message will be retried"),
	W(EXPIRED, "en", "giving up"),
	W(EXPIRED, "en", "given up"),
	W(EXPIRED, "en", "queue too long"),
};
const size_t rebound_phrase_rule_count =
	sizeof(rebound_phrase_rules) / sizeof(rebound_phrase_rules[0]);

/* Full codes come before the class-free "X." forms they refine. */
const rebound_status_rule rebound_status_rules[] = {
	{ "5.1.10", R(USERUNKNOWN) },
	{ "X.1.10", R(NOTACCEPT) },
	{ "X.1.1", R(USERUNKNOWN) },
	{ "X.1.2", R(HOSTUNKNOWN) },
	{ "X.1.3", R(USERUNKNOWN) },
	{ "X.1.4", R(USERUNKNOWN) },
	{ "X.1.6", R(HASMOVED) },
	{ "X.1.7", R(REJECTED) },
	{ "X.1.8", R(REJECTED) },
	{ "X.2.1", R(SUSPEND) },
	{ "X.2.2", R(MAILBOXFULL) },
	{ "X.2.3", R(EXCEEDLIMIT) },
	{ "X.2.4", R(SYSTEMERROR) },
	{ "X.3.0", R(SYSTEMERROR) },
	{ "X.3.1", R(SYSTEMFULL) },
	{ "X.3.2", R(SYSTEMERROR) },
	{ "X.3.3", R(SYSTEMERROR) },
	{ "X.3.4", R(MESGTOOBIG) },
	{ "X.3.5", R(SYSTEMERROR) },
	{ "4.4.1", R(NETWORKERROR) },
	{ "X.4.2", R(NETWORKERROR) },
	{ "X.4.3", R(SYSTEMERROR) },
	{ "X.4.4", R(HOSTUNKNOWN) },
	{ "X.4.5", R(TOOMANYCONN) },
	{ "X.4.6", R(NETWORKERROR) },
	{ "X.4.7", R(EXPIRED) },
	{ "X.5.1", R(SYNTAXERROR) },
	{ "X.5.2", R(SYNTAXERROR) },
	{ "X.5.3", R(TOOMANYCONN) },
	{ "X.5.4", R(SYNTAXERROR) },
	{ "X.5.5", R(SYNTAXERROR) },
	{ "X.6.0", R(CONTENTERROR) },
	{ "X.6.1", R(CONTENTERROR) },
	{ "X.6.2", R(CONTENTERROR) },
	{ "X.6.3", R(CONTENTERROR) },
	{ "X.6.4", R(CONTENTERROR) },
	{ "X.6.5", R(CONTENTERROR) },
	{ "X.7.2", R(POLICYVIOLATION) },
	{ "X.7.3", R(SECURITYERROR) },
	{ "X.7.4", R(SECURITYERROR) },
	{ "X.7.5", R(SECURITYERROR) },
	{ "X.7.6", R(SECURITYERROR) },
	{ "X.7.7", R(SECURITYERROR) },
	{ "X.7.8", R(SECURITYERROR) },
	{ "X.7.9", R(SECURITYERROR) },
	{ "X.7.10", R(FAILEDSTARTTLS) },
	{ "X.7.11", R(FAILEDSTARTTLS) },
	{ "X.7.12", R(SECURITYERROR) },
	{ "X.7.13", R(SUSPEND) },
	{ "X.7.14", R(SECURITYERROR) },
	{ "X.7.15", R(POLICYVIOLATION) },
	{ "X.7.16", R(MESGTOOBIG) },
	{ "X.7.17", R(HASMOVED) },
	{ "X.7.18", R(HASMOVED) },
	{ "X.7.20", R(AUTHFAILURE) },
	{ "X.7.21", R(AUTHFAILURE) },
	{ "X.7.22", R(AUTHFAILURE) },
	{ "X.7.23", R(AUTHFAILURE) },
	{ "X.7.24", R(AUTHFAILURE) },
	{ "X.7.25", R(REQUIREPTR) },
	{ "X.7.26", R(AUTHFAILURE) },
	{ "X.7.27", R(REJECTED) },
	{ "X.7.28", R(SPAMDETECTED) },
	{ "X.7.29", R(AUTHFAILURE) },
	{ "X.7.30", R(FAILEDSTARTTLS) },
};
const size_t rebound_status_rule_count =
	sizeof(rebound_status_rules) / sizeof(rebound_status_rules[0]);

const rebound_reply_rule rebound_reply_rules[] = {
	{ "421", R(SYSTEMERROR) },
	{ "450", R(SYSTEMERROR) },
	{ "451", R(SYSTEMERROR) },
	{ "452", R(SYSTEMFULL) },
	{ "500", R(SYNTAXERROR) },
	{ "501", R(SYNTAXERROR) },
	{ "502", R(SYNTAXERROR) },
	{ "503", R(SYNTAXERROR) },
	{ "504", R(SYNTAXERROR) },
	{ "521", R(NOTACCEPT) },
	{ "530", R(SECURITYERROR) },
	{ "535", R(SECURITYERROR) },
	{ "551", R(HASMOVED) },
	{ "552", R(MAILBOXFULL) },
	{ "553", R(USERUNKNOWN) },
	{ "556", R(NOTACCEPT) },
};
const size_t rebound_reply_rule_count =
	sizeof(rebound_reply_rules) / sizeof(rebound_reply_rules[0]);

/* The phrases of rebound_phrase_rules in order (ids are rule indexes). */
static const char *phrase_list[sizeof(rebound_phrase_rules) /
			       sizeof(rebound_phrase_rules[0])];
static const rebound_matcher *phrase_matcher;

rebound_phrase_list rebound_rules_phrase_list(void)
{
	if (phrase_list[0] == NULL)
		for (size_t i = 0; i < rebound_phrase_rule_count; i++)
			phrase_list[i] = rebound_phrase_rules[i].phrase;
	return (rebound_phrase_list){ "rules.phrases", phrase_list,
				      rebound_phrase_rule_count, 40 };
}

typedef struct tiers {
	long strong, weak;
} tiers;

static bool take_tiers(size_t id, void *ctx)
{
	tiers *t = ctx;
	if (rebound_phrase_rules[id].flags & REBOUND_RULE_WEAK) {
		if (t->weak < 0)
			t->weak = (long)id;
		return false;	/* weak ids come last: both are known */
	}
	if (t->strong < 0)
		t->strong = (long)id;	/* ids come in order: first wins */
	return true;
}

void rebound_rules_match_phrase(const char *norm_text, size_t len,
				long *strong, long *weak)
{
	*strong = *weak = -1;
	if (phrase_matcher == NULL) {
		rebound_phrase_list list = rebound_rules_phrase_list();
		phrase_matcher = rebound_matcher_builtin(&list);
		if (phrase_matcher == NULL)
			return;
	}
	tiers t = { -1, -1 };
	rebound_matcher_each(phrase_matcher, norm_text, len, take_tiers, &t);
	*strong = t.strong;
	*weak = t.weak;
}

/* Compare "5.1.1" with a rule code "X.1.1" or "5.1.1". */
static bool status_matches(const char *rule, const char *status)
{
	if (rule[0] == 'X')
		return status[0] != '\0' && strcmp(rule + 1, status + 1) == 0;
	return strcmp(rule, status) == 0;
}

long rebound_rules_match_status(const char *status)
{
	if (status == NULL || status[0] == '\0')
		return -1;
	for (size_t i = 0; i < rebound_status_rule_count; i++)
		if (status_matches(rebound_status_rules[i].code, status))
			return (long)i;
	return -1;
}

long rebound_rules_match_reply(const char *reply)
{
	if (reply == NULL || reply[0] == '\0')
		return -1;
	for (size_t i = 0; i < rebound_reply_rule_count; i++)
		if (strcmp(rebound_reply_rules[i].code, reply) == 0)
			return (long)i;
	return -1;
}

void rebound_rules_release(void)
{
	rebound_matcher_release(phrase_matcher);
	phrase_matcher = NULL;
}
