/* rules.c - the reason rules tables and their lookup.
 *
 * Order matters in the phrase table: the first matching entry wins.  The
 * groups run from the most specific cause (a virus, a DMARC failure) to the
 * most generic one (a rejection), so that "550 5.1.1 user unknown (blocked
 * by spam filter)" is a spam block, not an unknown user.
 */
#include "rules.h"

#include <string.h>

#include "matcher.h"
#include "strutil.h"

#define R(reason) REBOUND_REASON_##reason

const rebound_phrase_rule rebound_phrase_rules[] = {
	/* --- virus ------------------------------------------------------ */
	{ R(VIRUSDETECTED), "en", "virus detected" },
	{ R(VIRUSDETECTED), "en", "virus found" },
	{ R(VIRUSDETECTED), "en", "contains a virus" },
	{ R(VIRUSDETECTED), "en", "infected with" },
	{ R(VIRUSDETECTED), "en", "malware detected" },
	{ R(VIRUSDETECTED), "ja", "ウイルス" },

	/* --- authentication: SPF, DKIM, DMARC ------------------------------ */
	{ R(AUTHFAILURE), "en", "dmarc policy" },
	{ R(AUTHFAILURE), "en", "dmarc validation" },
	{ R(AUTHFAILURE), "en", "failed dmarc" },
	{ R(AUTHFAILURE), "en", "dmarc check" },
	{ R(AUTHFAILURE), "en", "spf check" },
	{ R(AUTHFAILURE), "en", "spf validation" },
	{ R(AUTHFAILURE), "en", "spf fail" },
	{ R(AUTHFAILURE), "en", "spf: fail" },
	{ R(AUTHFAILURE), "en", "sender policy framework" },
	{ R(AUTHFAILURE), "en", "is not allowed to send mail from" },
	{ R(AUTHFAILURE), "en", "not designated as permitted sender" },
	{ R(AUTHFAILURE), "en", "is not a permitted sender" },
	{ R(AUTHFAILURE), "en", "dkim signature" },
	{ R(AUTHFAILURE), "en", "dkim validation" },
	{ R(AUTHFAILURE), "en", "authentication failed" },
	{ R(AUTHFAILURE), "en", "unauthenticated email" },
	{ R(AUTHFAILURE), "en", "does not pass authentication" },

	/* --- reverse DNS ------------------------------------------------- */
	{ R(REQUIREPTR), "en", "no ptr record" },
	{ R(REQUIREPTR), "en", "no reverse dns" },
	{ R(REQUIREPTR), "en", "reverse dns" },
	{ R(REQUIREPTR), "en", "reverse lookup" },
	{ R(REQUIREPTR), "en", "rdns" },
	{ R(REQUIREPTR), "en", "ptr record" },
	{ R(REQUIREPTR), "en", "cannot resolve your address" },
	{ R(REQUIREPTR), "en", "cannot find your hostname" },
	{ R(REQUIREPTR), "en", "cannot find your reverse hostname" },
	{ R(REQUIREPTR), "en", "client host rejected: cannot find your" },
	{ R(REQUIREPTR), "en", "unresolvable address" },
	{ R(REQUIREPTR), "en", "hostname does not resolve" },
	{ R(REQUIREPTR), "en", "does not have a reverse" },
	{ R(REQUIREPTR), "en", "ip name lookup failed" },

	/* --- spam content ------------------------------------------------ */
	{ R(SPAMDETECTED), "en", "spam detected" },
	{ R(SPAMDETECTED), "en", "detected as spam" },
	{ R(SPAMDETECTED), "en", "identified as spam" },
	{ R(SPAMDETECTED), "en", "considered spam" },
	{ R(SPAMDETECTED), "en", "classified as spam" },
	{ R(SPAMDETECTED), "en", "looks like spam" },
	{ R(SPAMDETECTED), "en", "message is spam" },
	{ R(SPAMDETECTED), "en", "spam message" },
	{ R(SPAMDETECTED), "en", "spam score" },
	{ R(SPAMDETECTED), "en", "rejected as spam" },
	{ R(SPAMDETECTED), "en", "high probability of spam" },
	{ R(SPAMDETECTED), "en", "unsolicited" },
	{ R(SPAMDETECTED), "en", "spamming" },
	{ R(SPAMDETECTED), "en", "bulk mail" },
	{ R(SPAMDETECTED), "en", "content filter" },
	{ R(SPAMDETECTED), "en", "message content rejected" },
	{ R(SPAMDETECTED), "en", "suspected spam" },
	{ R(SPAMDETECTED), "en", "likely spam" },
	{ R(SPAMDETECTED), "de", "als spam" },
	{ R(SPAMDETECTED), "fr", "comme spam" },
	{ R(SPAMDETECTED), "ja", "迷惑メール" },

	/* --- sender reputation and blocklists ---------------------------- */
	{ R(BADREPUTATION), "en", "poor reputation" },
	{ R(BADREPUTATION), "en", "bad reputation" },
	{ R(BADREPUTATION), "en", "low reputation" },
	{ R(BADREPUTATION), "en", "sender reputation" },
	{ R(BADREPUTATION), "en", "ip reputation" },
	{ R(BADREPUTATION), "en", "reputation of" },

	{ R(BLOCKED), "en", "blacklisted" },
	{ R(BLOCKED), "en", "blocklisted" },
	{ R(BLOCKED), "en", "blacklist" },
	{ R(BLOCKED), "en", "blocklist" },
	{ R(BLOCKED), "en", "block list" },
	{ R(BLOCKED), "en", "black list" },
	{ R(BLOCKED), "en", "listed in" },
	{ R(BLOCKED), "en", "listed on" },
	{ R(BLOCKED), "en", "spamhaus" },
	{ R(BLOCKED), "en", "spamcop" },
	{ R(BLOCKED), "en", "sorbs" },
	{ R(BLOCKED), "en", "dnsbl" },
	{ R(BLOCKED), "en", "rbl" },
	{ R(BLOCKED), "en", "your ip" },
	{ R(BLOCKED), "en", "your ip address" },
	{ R(BLOCKED), "en", "ip address is blocked" },
	{ R(BLOCKED), "en", "client host rejected" },
	{ R(BLOCKED), "en", "client host * blocked" },
	{ R(BLOCKED), "en", "connection refused" },
	{ R(BLOCKED), "en", "connection rejected" },
	{ R(BLOCKED), "en", "access denied" },
	{ R(BLOCKED), "en", "blocked using" },
	{ R(BLOCKED), "en", "host blocked" },
	{ R(BLOCKED), "en", "has been blocked" },
	{ R(BLOCKED), "en", "temporarily deferred" },
	{ R(BLOCKED), "en", "dynamic ip" },
	{ R(BLOCKED), "en", "dial-up" },
	{ R(BLOCKED), "en", "dialup" },
	{ R(BLOCKED), "en", "residential" },
	{ R(BLOCKED), "en", "please use the smtp server of your isp" },
	{ R(BLOCKED), "en", "use your provider" },
	{ R(BLOCKED), "en", "not allowed to connect" },
	{ R(BLOCKED), "en", "service not available" },

	/* --- too fast, too many ------------------------------------------ */
	{ R(SPEEDING), "en", "rate limit" },
	{ R(SPEEDING), "en", "rate-limit" },
	{ R(SPEEDING), "en", "ratelimit" },
	{ R(SPEEDING), "en", "sending rate" },
	{ R(SPEEDING), "en", "too fast" },
	{ R(SPEEDING), "en", "receiving mail at a rate" },
	{ R(SPEEDING), "en", "try again later" },
	{ R(TOOMANYCONN), "en", "too many connections" },
	{ R(TOOMANYCONN), "en", "too many simultaneous" },
	{ R(TOOMANYCONN), "en", "too many concurrent" },
	{ R(TOOMANYCONN), "en", "too many recipients" },
	{ R(TOOMANYCONN), "en", "too many messages" },
	{ R(TOOMANYCONN), "en", "connection limit" },
	{ R(TOOMANYCONN), "en", "too many sessions" },

	/* --- relaying ---------------------------------------------------- */
	{ R(NORELAYING), "en", "relaying denied" },
	{ R(NORELAYING), "en", "relay access denied" },
	{ R(NORELAYING), "en", "relay not permitted" },
	{ R(NORELAYING), "en", "relaying not permitted" },
	{ R(NORELAYING), "en", "relay denied" },
	{ R(NORELAYING), "en", "not permitted to relay" },
	{ R(NORELAYING), "en", "unable to relay" },
	{ R(NORELAYING), "en", "we do not relay" },
	{ R(NORELAYING), "en", "relaying to * denied" },
	{ R(NORELAYING), "en", "not a gateway" },
	{ R(NORELAYING), "en", "no relaying" },

	/* --- moved ------------------------------------------------------- */
	{ R(HASMOVED), "en", "has moved" },
	{ R(HASMOVED), "en", "user not local; please try" },
	{ R(HASMOVED), "en", "address changed" },
	{ R(HASMOVED), "en", "no longer valid; please use" },

	/* --- mailbox full ------------------------------------------------ */
	{ R(MAILBOXFULL), "en", "mailbox full" },
	{ R(MAILBOXFULL), "en", "mailbox is full" },
	{ R(MAILBOXFULL), "en", "mailbox was full" },
	{ R(MAILBOXFULL), "en", "mail box full" },
	{ R(MAILBOXFULL), "en", "mailbox size limit" },
	{ R(MAILBOXFULL), "en", "mailbox has exceeded" },
	{ R(MAILBOXFULL), "en", "mailbox exceeded" },
	{ R(MAILBOXFULL), "en", "mailbox quota" },
	{ R(MAILBOXFULL), "en", "over quota" },
	{ R(MAILBOXFULL), "en", "overquota" },
	{ R(MAILBOXFULL), "en", "quota exceeded" },
	{ R(MAILBOXFULL), "en", "exceeded storage allocation" },
	{ R(MAILBOXFULL), "en", "exceeds quota" },
	{ R(MAILBOXFULL), "en", "exceed quota" },
	{ R(MAILBOXFULL), "en", "exceeded the quota" },
	{ R(MAILBOXFULL), "en", "disk quota" },
	{ R(MAILBOXFULL), "en", "insufficient disk space" },
	{ R(MAILBOXFULL), "en", "out of storage" },
	{ R(MAILBOXFULL), "en", "storage space" },
	{ R(MAILBOXFULL), "en", "inbox is full" },
	{ R(MAILBOXFULL), "en", "is over its" },
	{ R(MAILBOXFULL), "en", "user is over" },
	{ R(MAILBOXFULL), "en", "too much mail" },
	{ R(MAILBOXFULL), "de", "postfach voll" },
	{ R(MAILBOXFULL), "de", "postfach ist voll" },
	{ R(MAILBOXFULL), "fr", "boîte aux lettres pleine" },
	{ R(MAILBOXFULL), "fr", "boite aux lettres pleine" },
	{ R(MAILBOXFULL), "it", "casella piena" },
	{ R(MAILBOXFULL), "es", "buzón lleno" },
	{ R(MAILBOXFULL), "pt", "caixa postal cheia" },
	{ R(MAILBOXFULL), "sv", "brevlådan är full" },
	{ R(MAILBOXFULL), "ja", "容量" },

	/* --- limits on the message ---------------------------------------- */
	{ R(MESGTOOBIG), "en", "message too large" },
	{ R(MESGTOOBIG), "en", "message too big" },
	{ R(MESGTOOBIG), "en", "message is too large" },
	{ R(MESGTOOBIG), "en", "message is too big" },
	{ R(MESGTOOBIG), "en", "message size exceeds" },
	{ R(MESGTOOBIG), "en", "message size limit" },
	{ R(MESGTOOBIG), "en", "exceeds size limit" },
	{ R(MESGTOOBIG), "en", "exceeds the maximum message size" },
	{ R(MESGTOOBIG), "en", "size exceeds" },
	{ R(MESGTOOBIG), "en", "message length exceeds" },
	{ R(MESGTOOBIG), "en", "mail size" },
	{ R(EXCEEDLIMIT), "en", "exceeds the limit" },
	{ R(EXCEEDLIMIT), "en", "limit exceeded" },
	{ R(EXCEEDLIMIT), "en", "administrative limit" },

	/* --- account disabled --------------------------------------------- */
	{ R(SUSPEND), "en", "account disabled" },
	{ R(SUSPEND), "en", "account has been disabled" },
	{ R(SUSPEND), "en", "account is disabled" },
	{ R(SUSPEND), "en", "account has been suspended" },
	{ R(SUSPEND), "en", "account is suspended" },
	{ R(SUSPEND), "en", "account suspended" },
	{ R(SUSPEND), "en", "mailbox disabled" },
	{ R(SUSPEND), "en", "mailbox is disabled" },
	{ R(SUSPEND), "en", "mailbox has been disabled" },
	{ R(SUSPEND), "en", "mailbox is inactive" },
	{ R(SUSPEND), "en", "account is inactive" },
	{ R(SUSPEND), "en", "account inactive" },
	{ R(SUSPEND), "en", "inactive account" },
	{ R(SUSPEND), "en", "account has been frozen" },
	{ R(SUSPEND), "en", "temporarily disabled" },
	{ R(SUSPEND), "en", "is deactivated" },
	{ R(SUSPEND), "en", "not accepting mail" },

	/* --- no such user -------------------------------------------------- */
	{ R(USERUNKNOWN), "en", "user unknown" },
	{ R(USERUNKNOWN), "en", "unknown user" },
	{ R(USERUNKNOWN), "en", "no such user" },
	{ R(USERUNKNOWN), "en", "no such mailbox" },
	{ R(USERUNKNOWN), "en", "no such recipient" },
	{ R(USERUNKNOWN), "en", "no such account" },
	{ R(USERUNKNOWN), "en", "no such address" },
	{ R(USERUNKNOWN), "en", "no such person" },
	{ R(USERUNKNOWN), "en", "unknown recipient" },
	{ R(USERUNKNOWN), "en", "recipient unknown" },
	{ R(USERUNKNOWN), "en", "unknown address" },
	{ R(USERUNKNOWN), "en", "unknown local part" },
	{ R(USERUNKNOWN), "en", "unknown mailbox" },
	{ R(USERUNKNOWN), "en", "mailbox unknown" },
	{ R(USERUNKNOWN), "en", "mailbox not found" },
	{ R(USERUNKNOWN), "en", "mailbox unavailable" },
	{ R(USERUNKNOWN), "en", "mailbox does not exist" },
	{ R(USERUNKNOWN), "en", "user not found" },
	{ R(USERUNKNOWN), "en", "user doesn't exist" },
	{ R(USERUNKNOWN), "en", "user does not exist" },
	{ R(USERUNKNOWN), "en", "address does not exist" },
	{ R(USERUNKNOWN), "en", "account does not exist" },
	{ R(USERUNKNOWN), "en", "recipient does not exist" },
	{ R(USERUNKNOWN), "en", "does not exist" },
	{ R(USERUNKNOWN), "en", "doesn't exist" },
	{ R(USERUNKNOWN), "en", "invalid recipient" },
	{ R(USERUNKNOWN), "en", "invalid mailbox" },
	{ R(USERUNKNOWN), "en", "invalid address" },
	{ R(USERUNKNOWN), "en", "invalid user" },
	{ R(USERUNKNOWN), "en", "not a valid mailbox" },
	{ R(USERUNKNOWN), "en", "recipient not found" },
	{ R(USERUNKNOWN), "en", "recipient rejected" },
	{ R(USERUNKNOWN), "en", "recipient address rejected" },
	{ R(USERUNKNOWN), "en", "address rejected" },
	{ R(USERUNKNOWN), "en", "unrouteable address" },
	{ R(USERUNKNOWN), "en", "unroutable address" },
	{ R(USERUNKNOWN), "en", "not our customer" },
	{ R(USERUNKNOWN), "en", "no mailbox here" },
	{ R(USERUNKNOWN), "en", "no mailbox" },
	{ R(USERUNKNOWN), "en", "mailbox not available" },
	{ R(USERUNKNOWN), "en", "user invalid" },
	{ R(USERUNKNOWN), "en", "no longer available" },
	{ R(USERUNKNOWN), "en", "is not a known user" },
	{ R(USERUNKNOWN), "en", "not listed in" },
	{ R(USERUNKNOWN), "en", "user not exist" },
	{ R(USERUNKNOWN), "en", "recipientnotfound" },
	{ R(USERUNKNOWN), "en", "does not like recipient" },
	{ R(USERUNKNOWN), "en", "bad destination mailbox" },
	{ R(USERUNKNOWN), "en", "the email account that you tried to reach does not exist" },
	{ R(USERUNKNOWN), "de", "unbekannt" },
	{ R(USERUNKNOWN), "de", "existiert nicht" },
	{ R(USERUNKNOWN), "de", "ungültige" },
	{ R(USERUNKNOWN), "fr", "utilisateur inconnu" },
	{ R(USERUNKNOWN), "fr", "destinataire inconnu" },
	{ R(USERUNKNOWN), "fr", "n'existe pas" },
	{ R(USERUNKNOWN), "it", "utente sconosciuto" },
	{ R(USERUNKNOWN), "it", "non esiste" },
	{ R(USERUNKNOWN), "es", "usuario desconocido" },
	{ R(USERUNKNOWN), "es", "no existe" },
	{ R(USERUNKNOWN), "pt", "usuário desconhecido" },
	{ R(USERUNKNOWN), "pt", "não existe" },
	{ R(USERUNKNOWN), "sv", "okänd mottagare" },
	{ R(USERUNKNOWN), "sv", "finns inte" },
	{ R(USERUNKNOWN), "ja", "存在しません" },
	{ R(USERUNKNOWN), "ja", "宛先不明" },

	/* --- no such domain ------------------------------------------------ */
	{ R(HOSTUNKNOWN), "en", "host unknown" },
	{ R(HOSTUNKNOWN), "en", "unknown host" },
	{ R(HOSTUNKNOWN), "en", "host not found" },
	{ R(HOSTUNKNOWN), "en", "domain not found" },
	{ R(HOSTUNKNOWN), "en", "unknown domain" },
	{ R(HOSTUNKNOWN), "en", "domain unknown" },
	{ R(HOSTUNKNOWN), "en", "no such domain" },
	{ R(HOSTUNKNOWN), "en", "domain does not exist" },
	{ R(HOSTUNKNOWN), "en", "name or service not known" },
	{ R(HOSTUNKNOWN), "en", "name service error" },
	{ R(HOSTUNKNOWN), "en", "host or domain name not found" },
	{ R(HOSTUNKNOWN), "en", "nxdomain" },
	{ R(HOSTUNKNOWN), "en", "no mx" },
	{ R(HOSTUNKNOWN), "en", "all relevant mx records point to non-existent hosts" },
	{ R(HOSTUNKNOWN), "en", "unrouteable mail domain" },
	{ R(HOSTUNKNOWN), "en", "domain is not" },
	{ R(HOSTUNKNOWN), "en", "illegal host/domain name" },
	{ R(HOSTUNKNOWN), "en", "recipient domain" },

	/* --- malformed commands --------------------------------------------- */
	{ R(SYNTAXERROR), "en", "syntax error" },
	{ R(SYNTAXERROR), "en", "command unrecognized" },
	{ R(SYNTAXERROR), "en", "command not recognized" },
	{ R(SYNTAXERROR), "en", "bad sequence of commands" },

	/* --- the message waited too long ------------------------------------ */
	{ R(EXPIRED), "en", "delivery time expired" },
	{ R(EXPIRED), "en", "retry time exceeded" },
	{ R(EXPIRED), "en", "retry timeout exceeded" },
	{ R(EXPIRED), "en", "message expired" },
	{ R(EXPIRED), "en", "has expired" },
	{ R(EXPIRED), "en", "giving up" },
	{ R(EXPIRED), "en", "given up" },
	{ R(EXPIRED), "en", "queue too long" },
	{ R(EXPIRED), "en", "could not be delivered for" },
	{ R(EXPIRED), "en", "was not delivered within" },
	{ R(EXPIRED), "en", "too long in the queue" },
	{ R(EXPIRED), "en", "delivery expired" },

	/* --- transport ----------------------------------------------------- */
	{ R(FAILEDSTARTTLS), "en", "starttls" },
	{ R(FAILEDSTARTTLS), "en", "tls required" },
	{ R(FAILEDSTARTTLS), "en", "must issue a starttls" },
	{ R(NETWORKERROR), "en", "connection timed out" },
	{ R(NETWORKERROR), "en", "connection timeout" },
	{ R(NETWORKERROR), "en", "timed out" },
	{ R(NETWORKERROR), "en", "could not connect" },
	{ R(NETWORKERROR), "en", "unable to connect" },
	{ R(NETWORKERROR), "en", "network is unreachable" },
	{ R(NETWORKERROR), "en", "no route to host" },
	{ R(NETWORKERROR), "en", "mail loop" },
	{ R(NETWORKERROR), "en", "loops back to myself" },
	{ R(NETWORKERROR), "en", "routing loop" },
	{ R(NETWORKERROR), "en", "too many hops" },
	{ R(NETWORKERROR), "en", "dns lookup" },
	{ R(NETWORKERROR), "en", "lost connection" },
	{ R(NETWORKERROR), "en", "connection reset" },
	{ R(NETWORKERROR), "en", "connection dropped" },

	/* --- the receiving system ---------------------------------------- */
	{ R(SYSTEMFULL), "en", "insufficient system storage" },
	{ R(SYSTEMFULL), "en", "system storage" },
	{ R(SYSTEMFULL), "en", "disk full" },
	{ R(SYSTEMFULL), "en", "out of disk" },
	{ R(SYSTEMERROR), "en", "system error" },
	{ R(SYSTEMERROR), "en", "internal error" },
	{ R(SYSTEMERROR), "en", "server error" },
	{ R(SYSTEMERROR), "en", "temporary failure" },
	{ R(SYSTEMERROR), "en", "local error" },
	{ R(SYSTEMERROR), "en", "configuration error" },
	{ R(SYSTEMERROR), "en", "misconfigured" },
	{ R(MAILERERROR), "en", "command output" },
	{ R(MAILERERROR), "en", "command died" },
	{ R(MAILERERROR), "en", "pipe to" },
	{ R(MAILERERROR), "en", "mailer error" },
	{ R(MAILERERROR), "en", "procmail" },
	{ R(MAILERERROR), "en", "x-unix" },

	/* --- content --------------------------------------------------------- */
	{ R(NOTCOMPLIANTRFC), "en", "not rfc" },
	{ R(NOTCOMPLIANTRFC), "en", "rfc 5322" },
	{ R(NOTCOMPLIANTRFC), "en", "rfc5322" },
	{ R(NOTCOMPLIANTRFC), "en", "rfc 2822" },
	{ R(NOTCOMPLIANTRFC), "en", "rfc2822" },
	{ R(NOTCOMPLIANTRFC), "en", "duplicate header" },
	{ R(NOTCOMPLIANTRFC), "en", "multiple addresses in" },
	{ R(CONTENTERROR), "en", "content rejected" },
	{ R(CONTENTERROR), "en", "attachment" },
	{ R(CONTENTERROR), "en", "improper use of 8-bit data" },
	{ R(POLICYVIOLATION), "en", "policy violation" },
	{ R(POLICYVIOLATION), "en", "violates our" },
	{ R(POLICYVIOLATION), "en", "violation of" },
	{ R(POLICYVIOLATION), "en", "prohibited" },
	{ R(POLICYVIOLATION), "en", "not allowed by policy" },
	{ R(POLICYVIOLATION), "en", "local policy" },
	{ R(POLICYVIOLATION), "en", "due to policy" },
	{ R(POLICYVIOLATION), "en", "policy reasons" },
	{ R(SECURITYERROR), "en", "authentication required" },
	{ R(SECURITYERROR), "en", "must authenticate" },
	{ R(SECURITYERROR), "en", "security policy" },

	/* --- the sender ------------------------------------------------------ */
	{ R(NOTACCEPT), "en", "does not accept mail" },
	{ R(NOTACCEPT), "en", "not accept any mail" },
	{ R(NOTACCEPT), "en", "null mx" },
	{ R(NOTACCEPT), "en", "accepts no mail" },
	{ R(REJECTED), "en", "sender rejected" },
	{ R(REJECTED), "en", "sender address rejected" },
	{ R(REJECTED), "en", "sender domain" },
	{ R(REJECTED), "en", "sender verify failed" },
	{ R(REJECTED), "en", "domain of sender address" },
	{ R(REJECTED), "en", "sender denied" },
	{ R(REJECTED), "en", "invalid sender" },
	{ R(REJECTED), "en", "mail from" },
	{ R(REJECTED), "en", "address rejected" },

	/* --- filtered by the recipient --------------------------------------- */
	{ R(FILTERED), "en", "filtered" },
	{ R(FILTERED), "en", "refused by the recipient" },
	{ R(FILTERED), "en", "message refused" },
	{ R(FILTERED), "en", "rejected by recipient" },
	{ R(FILTERED), "en", "delivery not authorized" },
	{ R(FILTERED), "en", "message rejected" },
	{ R(FILTERED), "ja", "受信拒否" },
	{ R(ONHOLD), "en", "on hold" },
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
	{ "X.4.1", R(NETWORKERROR) },
	{ "X.4.2", R(NETWORKERROR) },
	{ "X.4.3", R(SYSTEMERROR) },
	{ "X.4.4", R(HOSTUNKNOWN) },
	{ "X.4.5", R(TOOMANYCONN) },
	{ "X.4.6", R(NETWORKERROR) },
	{ "X.4.7", R(EXPIRED) },
	{ "X.5.0", R(SYNTAXERROR) },
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
	{ "X.7.1", R(REJECTED) },
	{ "X.7.2", R(POLICYVIOLATION) },
	{ "X.7.3", R(SECURITYERROR) },
	{ "X.7.4", R(SECURITYERROR) },
	{ "X.7.5", R(SECURITYERROR) },
	{ "X.7.6", R(SECURITYERROR) },
	{ "X.7.7", R(SECURITYERROR) },
	{ "X.7.8", R(AUTHFAILURE) },
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
	{ "X.7.27", R(NOTACCEPT) },
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
	{ "521", R(NOTACCEPT) },
	{ "551", R(HASMOVED) },
	{ "552", R(MAILBOXFULL) },
	{ "553", R(USERUNKNOWN) },
	{ "556", R(NOTACCEPT) },
};
const size_t rebound_reply_rule_count =
	sizeof(rebound_reply_rules) / sizeof(rebound_reply_rules[0]);

static rebound_matcher *phrase_matcher;

long rebound_rules_match_phrase(const char *norm_text, size_t len)
{
	if (phrase_matcher == NULL) {
		const char *list[sizeof(rebound_phrase_rules) /
				 sizeof(rebound_phrase_rules[0])];
		for (size_t i = 0; i < rebound_phrase_rule_count; i++)
			list[i] = rebound_phrase_rules[i].phrase;
		phrase_matcher = rebound_matcher_build(
			list, rebound_phrase_rule_count, 200);
		if (phrase_matcher == NULL)
			return -1;
	}
	return rebound_matcher_first(phrase_matcher, norm_text, len);
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
	rebound_matcher_free(phrase_matcher);
	phrase_matcher = NULL;
}
