"""sipvicious's svcrack, taught SHA-256 digest (RFC 7616 §3.4.1).

sipvicious 0.3.8 computes only MD5 responses and fails on a SHA-256
challenge, so against a switch that challenges with SHA-256 alone it could
not even try. This shim replaces its one digest function and runs svcrack
unchanged otherwise, so TestE2ESipviciousCrack can show the bans hold for
SHA-256 as they do for MD5. MD5 challenges still go to sipvicious's own code.
"""
import hashlib
import sys
import uuid

from sipvicious.libs import svhelper
from sipvicious import svcrack

md5_response = svhelper.challengeResponse


def challenge_response(auth, method, uri):
    if (auth.get("algorithm") or "").lower() != "sha-256":
        return md5_response(auth, method, uri)

    def h(s):
        return hashlib.sha256(s.encode("utf-8")).hexdigest()

    nc = "%08d" % auth.get("noncecount", 1)
    cnonce = uuid.uuid4().hex
    ha1 = h("%s:%s:%s" % (auth["username"], auth["realm"], auth["password"]))
    ha2 = h("%s:%s" % (method, uri))
    response = h(":".join([ha1, auth["nonce"], nc, cnonce, "auth", ha2]))
    out = ('Digest username="%s",realm="%s",nonce="%s",uri="%s",cnonce="%s",'
           'nc=%s,qop=auth,algorithm=SHA-256,response="%s"') % (
        auth["username"], auth["realm"], auth["nonce"], uri, cnonce, nc, response)
    if auth.get("opaque"):
        out += ',opaque="%s"' % auth["opaque"]
    return out


svhelper.challengeResponse = challenge_response

if __name__ == "__main__":
    sys.exit(svcrack.main())
