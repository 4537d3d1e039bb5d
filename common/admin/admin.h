/* admin.h - the admin library's public header, for the rebound command:
 * the ledger's read side and the operator's edits, the tdb layout check,
 * the JSON Lines of results, and the parts of the ledger's own API the
 * reports print (policy names, times, records, the spool). */
#ifndef REBOUND_ADMIN_H
#define REBOUND_ADMIN_H

#include "ledger-admin.h"
#include "ledger-scan.h"
#include "json.h"
#include "cluster.h"
#include "ledger/ledger.h"
#include "ledger/ledger-record.h"
#include "ledger/ledger-spool.h"
#include "ledger/ledger-time.h"
#include "ledger/policy.h"

#endif
