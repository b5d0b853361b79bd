/* SPDX-License-Identifier: MIT */
/*
 * SPNEGO (RFC 4178, MS-SPNG) for the SMB session setup security buffer,
 * NTLMSSP only, with a minimal DER reader/writer.
 *
 * The reader accepts only what the grammar allows: definite lengths (at most
 * 4 length octets), low tag numbers, context tags in increasing order,
 * every element inside its parent, no trailing bytes.  Anything else is
 * -EBADMSG; an empty buffer is -ENODATA (servers may send no token).
 *
 * mechListMIC (MS-SPNG 3.1.5.1, RFC 4178 section 5): implemented.  Windows
 * clients send a mechListMIC with the AUTHENTICATE_MESSAGE whenever NTLM
 * itself sent a MIC (the server supplied MsvAvTimestamp), and Windows and
 * Samba servers then require it; the server answers with its own
 * mechListMIC, which the client verifies.  The MIC is NTLMSSP GSS_GetMIC
 * over SPNEGO_NTLM_MECH_LIST (the DER MechTypeList we offered), computed
 * with ntlm_gss_getmic() and checked with ntlm_gss_verifymic().
 */
#ifndef GWD_SMB_SPNEGO_H
#define GWD_SMB_SPNEGO_H

#include <stddef.h>
#include <stdint.h>

/* negState (RFC 4178 4.2.2). */
enum spnego_state {
        SPNEGO_ACCEPT_COMPLETED = 0,
        SPNEGO_ACCEPT_INCOMPLETE = 1,
        SPNEGO_REJECT = 2,
        SPNEGO_REQUEST_MIC = 3,
};

/* DER MechTypeList { 1.3.6.1.4.1.311.2.2.10 } — the mechListMIC input. */
#define SPNEGO_NTLM_MECH_LIST_LEN 14
extern const uint8_t SPNEGO_NTLM_MECH_LIST[SPNEGO_NTLM_MECH_LIST_LEN];

/* Server's NegTokenInit / NegTokenInit2 from the NEGOTIATE response. */
struct spnego_init {
        size_t mech_count;
        int ntlmssp_offered;
        int ntlmssp_preferred;          /* first in the server's list */
        const uint8_t *mech_token;      /* points into the input, or NULL */
        size_t mech_token_len;
};

struct spnego_resp {
        int neg_state;                  /* enum spnego_state, or -1 if absent */
        int has_supported_mech;
        int supported_mech_ntlmssp;
        const uint8_t *response_token;  /* points into the input, or NULL */
        size_t response_token_len;
        const uint8_t *mech_list_mic;
        size_t mech_list_mic_len;
};

int spnego_parse_init(const uint8_t *buf, size_t len, struct spnego_init *out);
int spnego_parse_resp(const uint8_t *buf, size_t len, struct spnego_resp *out);

/* InitialContextToken(SPNEGO, NegTokenInit{ mechTypes = [NTLMSSP],
 * mechToken = token }); *out is malloc'ed. */
int spnego_build_init(const uint8_t *token, size_t token_len, uint8_t **out, size_t *out_len);

/* NegTokenResp; neg_state < 0 omits negState, NULL token/mic omit them. */
int spnego_build_resp(int neg_state, const uint8_t *token, size_t token_len,
                      const uint8_t *mic, size_t mic_len, uint8_t **out, size_t *out_len);

#endif /* GWD_SMB_SPNEGO_H */
