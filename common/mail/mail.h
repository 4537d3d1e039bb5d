/* mail.h - the mail model's public header: what the other parts and the
 * adapters use of it (the per-message arena, the parsed message, addresses
 * and their printable form, small string helpers, the error-message
 * helper).  Files inside mail/
 * include the one header they need. */
#ifndef REBOUND_MAIL_H
#define REBOUND_MAIL_H

#include "arena.h"
#include "message.h"
#include "address.h"
#include "printable.h"
#include "strutil.h"
#include "error.h"

#endif
