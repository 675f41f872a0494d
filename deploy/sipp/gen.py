#!/usr/bin/env python3
# Generates the uac*/uas* scenarios in this directory (SIPp has no include,
# so the shared INVITE/ACK/BYE pieces are kept identical this way).
# Run: python3 deploy/sipp/gen.py   (register*.xml are hand-written)
import sys, os
os.chdir(os.path.dirname(os.path.abspath(__file__)))

HDR = '''<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
'''

def invite(txn, auth):
    a = "      [authentication]\n" if auth else ""
    return f'''  <send retrans="500" start_txn="{txn}">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: [cseq] INVITE
      Contact: <sip:[caller]@[local_ip]:[local_port]>
{a}      Max-Forwards: 70
      User-Agent: softswitch-itest
      Subject: softswitch e2e
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
'''

def ack_non2xx(txn):
    # ACK for a non-2xx final response: same branch as the INVITE (ack_txn),
    # To tag taken from the response.
    return f'''  <send ack_txn="{txn}">
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: [cseq] ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
'''

# ACK for a 2xx is its own transaction (RFC 3261 17.1.1.3): new branch. The
# ack_txn attribute only tells SIPp which INVITE this ACK completes (it
# refuses INVITE transactions without one); our literal branch wins.
ACK2XX = '''  <send ack_txn="[TXN]">
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-[pid]-[call_number]-ack2xx-[cseq];rport
      [routes]
      From: <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: [cseq] ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
'''

def bye(txn="bye"):
    return f'''  <send retrans="500" start_txn="{txn}">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      [routes]
      From: <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: [cseq] BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>

  <recv response="200" response_txn="{txn}" crlf="true"/>
'''

def auth_block(expect_after):
    """INVITE -> (optional 407 -> ACK -> INVITE with credentials).

    The 407 is optional so that the same file runs SIPp-to-SIPp without a
    digest server (selftest) and against the switch, which always challenges.
    expect_after(txn) renders the recvs expected after an INVITE; both paths
    end by jumping to label "final".
    """
    s = invite("inv1", False)
    s += '''
  <recv response="100" optional="true" response_txn="inv1"/>
  <recv response="407" optional="true" auth="true" response_txn="inv1" next="challenged"/>
'''
    s += expect_after("inv1")
    s += '''  <nop next="final"/>

  <label id="challenged"/>
'''
    s += ack_non2xx("inv1")
    s += "\n" + invite("inv2", True)
    s += '''
  <recv response="100" optional="true" response_txn="inv2"/>
'''
    s += expect_after("inv2")
    s += '''
  <label id="final"/>
'''
    return s

def provisional(txn):
    return f'''  <recv response="180" optional="true" response_txn="{txn}"/>
  <recv response="183" optional="true" response_txn="{txn}"/>
'''

STATS = '''
  <!-- response-time / call-length histograms for -trace_stat -->
  <ResponseTimeRepartition value="10, 20, 50, 100, 500, 1000"/>
  <CallLengthRepartition value="100, 500, 1000, 5000, 10000, 60000"/>
</scenario>
'''

KEYS = '''  Keys / options (the harness always passes them):
    -s USER           callee (request-URI user), e.g. 6001
    -key caller USER  caller (From user), e.g. 6000
    -au USER -ap PW   digest credentials answering the 407 (MD5)
'''

def write(name, doc, body):
    open(name, 'w').write(HDR + f'<!--\n{doc.rstrip()}\n-->\n<scenario name="{name[:-4]}">\n' + body + STATS)

# ---------- uac.xml: answered call, caller hangs up after -d ms ----------
def answered(txn):
    return provisional(txn) + f'''  <recv response="200" response_txn="{txn}" rrs="true"/>
'''
body = auth_block(answered)
body += ACK2XX.replace('[TXN]', 'inv2') + '''
  <!-- call duration: -d MILLISECONDS on the command line -->
  <pause/>

''' + bye()
write('uac.xml', f'''  UAC, answered call:
  INVITE -> 407 -> ACK -> INVITE with credentials -> [100] [180] [183] -> 200
  -> ACK -> pause (-d ms) -> BYE -> 200.
{KEYS}    -d MS             how long to stay in the call before BYE
  Every recv carries a transaction tag, so a 180 that arrives after the 200
  (replies reordered by a concurrent server) is ignored instead of failing.
  Other outcomes have their own files: uac_busy, uac_noanswer, uac_cancel,
  uac_notfound, uac_reinvite, uac_wait_bye.''', body)

# ---------- uac_busy.xml ----------
def busy(txn):
    return provisional(txn) + f'''  <recv response="486" response_txn="{txn}"/>
''' + ack_non2xx(txn)
body = auth_block(busy)
write('uac_busy.xml', f'''  UAC expecting busy: INVITE (-> 407 -> ACK -> INVITE with credentials)
  -> [1xx] -> 486 -> ACK.
{KEYS}''', body)

# ---------- uac_noanswer.xml / uac_notfound.xml: either of two final codes ----------
def either(c1, c2):
    def f(txn):
        return provisional(txn) + f'''  <recv response="{c1}" optional="true" response_txn="{txn}" next="ack_{txn}"/>
  <recv response="{c2}" response_txn="{txn}"/>
  <label id="ack_{txn}"/>
''' + ack_non2xx(txn)
    return f
write('uac_noanswer.xml', f'''  UAC expecting no answer: INVITE (-> 407 -> ACK -> INVITE with credentials)
  -> [1xx] -> 480 (switch ring timeout) or 408 -> ACK.
{KEYS}''', auth_block(either(480, 408)))
write('uac_notfound.xml', f'''  UAC calling a user that does not exist (404) or is not registered (480):
  INVITE (-> 407 -> ACK -> INVITE with credentials) -> 404 or 480 -> ACK.
{KEYS}''', auth_block(either(404, 480)))

# ---------- uac_cancel.xml ----------
def cancel(txn):
    return f'''  <recv response="183" optional="true" response_txn="{txn}"/>
  <recv response="180" response_txn="{txn}"/>

  <!-- ringing for -d ms, then give up -->
  <pause/>

  <!-- CANCEL must carry the INVITE's Via (same branch) and CSeq number; the
       180 just received echoes our Via, so copy it from there -->
  <send>
    <![CDATA[
      CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: [cseq] CANCEL
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>

  <!-- 200 (CANCEL) and 487 (INVITE) may come in either order -->
  <recv response="487" optional="true" response_txn="{txn}" next="got487_{txn}"/>
  <recv response="200"/>
  <recv response="487" response_txn="{txn}" next="ack_{txn}"/>
  <label id="got487_{txn}"/>
  <recv response="200"/>
  <label id="ack_{txn}"/>
''' + ack_non2xx(txn)
write('uac_cancel.xml', f'''  UAC that hangs up while ringing: INVITE (-> 407 -> ACK -> INVITE with
  credentials) -> 180 -> pause (-d ms) -> CANCEL -> 200 (CANCEL) + 487 -> ACK.
{KEYS}    -d MS             how long to let it ring before CANCEL''', auth_block(cancel))

# ---------- uac_reinvite.xml ----------
REINVITE = '''  <send retrans="500" start_txn="reinv">
    <![CDATA[
      INVITE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      [routes]
      From: <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: [cseq] INVITE
      Contact: <sip:[caller]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687638 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
      a=sendonly

    ]]>
  </send>

  <recv response="100" optional="true" response_txn="reinv"/>
  <recv response="200" response_txn="reinv"/>
'''
body = auth_block(answered) + ACK2XX.replace('[TXN]', 'inv2') + '''
  <pause/>

  <!-- re-INVITE putting the call on hold (a=sendonly) -->
''' + REINVITE + ACK2XX.replace('[TXN]', 'reinv') + '''
  <pause/>

''' + bye()
write('uac_reinvite.xml', f'''  UAC re-INVITE (hold): answered call as uac.xml, then pause (-d ms) ->
  re-INVITE with a=sendonly -> 200 -> ACK -> pause (-d ms) -> BYE -> 200.
{KEYS}    -d MS             each of the two pauses''', body)

# ---------- uac_wait_bye.xml ----------
body = auth_block(answered) + ACK2XX.replace('[TXN]', 'inv2') + '''
  <!-- stay in the call until the far end (the switch, at max call duration) hangs up -->
  <recv request="BYE"/>

  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
'''
write('uac_wait_bye.xml', f'''  UAC that never hangs up: answered call as uac.xml, then waits for a BYE
  from the switch (max call duration) and answers it 200.
{KEYS}''', body)

# ======================= UAS side =======================
# UAS responses echo Record-Route (RFC 3261 12.1.1), so a proxy in the path
# (Kamailio in deploy/bench) stays in the dialog; empty when there is none.
def resp(code, reason, tag=True, sdp=None, contact=True, retrans=False, extra=""):
    t = ";tag=[pid]SIPpTag01[call_number]" if tag else ""
    c = "      Contact: <sip:[service]@[local_ip]:[local_port]>\n" if contact else ""
    r = ' retrans="500"' if retrans else ""
    body = ""
    ct = "      Content-Length: 0\n"
    if sdp:
        ct = "      Content-Type: application/sdp\n      Content-Length: [len]\n"
        body = f'''
      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
{sdp}'''
    return f'''  <send{r}>
    <![CDATA[
      SIP/2.0 {code} {reason}
      [last_Via:]
      [last_Record-Route:]
      [last_From:]
      [last_To:]{t}
      [last_Call-ID:]
      [last_CSeq:]
{c}{extra}{ct}{body}
    ]]>
  </send>
'''

UAS_KEYS = '''  Run as: sipp -sf FILE -i 127.0.0.1 -p PORT -m N  (no remote host)
  -s USER sets the user part of our Contact (defaults to "service").
'''
INVITE_RECV = '''  <recv request="INVITE" crlf="true" rrs="true"/>
'''
INVITE_RECV_CSEQ = '''  <recv request="INVITE" crlf="true">
    <action>
      <!-- the INVITE's CSeq number, for the 487 sent after the CANCEL -->
      <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" assign_to="invite_cseq"/>
    </action>
  </recv>
'''
INVITE_RECV_PARTIES = '''  <recv request="INVITE" crlf="true" rrs="true">
    <action>
      <!-- From/To of the INVITE, for the BYE we send ourselves -->
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="remote_party"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="local_party"/>
    </action>
  </recv>
'''
BYE_200 = resp(200, "OK", tag=False, contact=False)

# ---------- uas.xml ----------
body = INVITE_RECV + resp(180, "Ringing") + '''
  <!-- ringing time: -d ms (0 by default) -->
  <pause/>

''' + resp(200, "OK", sdp="", retrans=True) + '''
  <recv request="ACK" crlf="true"/>

  <!-- in the call: accept any number of re-INVITEs until the BYE -->
  <label id="incall"/>
  <recv request="INVITE" optional="true" next="reinvite"/>
  <recv request="BYE"/>
''' + BYE_200 + '''  <nop next="end"/>

  <label id="reinvite"/>
''' + resp(200, "OK", tag=False, sdp="", retrans=True) + '''  <recv request="ACK" next="incall"/>

  <label id="end"/>
  <!-- keep the call around for late retransmissions of the BYE -->
  <timewait milliseconds="500"/>
'''
write('uas.xml', f'''  UAS answering: INVITE -> 180 -> pause (-d ms) -> 200 -> ACK, then any
  number of re-INVITE -> 200 -> ACK, then BYE -> 200.
{UAS_KEYS}  Use -trace_msg to check what a re-INVITE carried (e.g. a=sendonly).''', body)

# ---------- uas_busy.xml ----------
body = INVITE_RECV + resp(486, "Busy Here", contact=False) + '''  <recv request="ACK" crlf="true"/>
  <timewait milliseconds="500"/>
'''
write('uas_busy.xml', f'''  UAS busy: INVITE -> 486 -> ACK.
{UAS_KEYS}''', body)

# ---------- uas_noanswer.xml ----------
body = INVITE_RECV_CSEQ + resp(180, "Ringing") + '''
  <!-- never answers; the switch (ring timeout) or the caller cancels -->
  <recv request="CANCEL"/>
''' + resp(200, "OK", contact=False) + '''
  <!-- 487 for the INVITE: same Via/From/Call-ID as the CANCEL, the INVITE's CSeq -->
  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      CSeq: [$invite_cseq] INVITE
      Content-Length: 0

    ]]>
  </send>

  <recv request="ACK"/>
  <timewait milliseconds="500"/>
'''
write('uas_noanswer.xml', f'''  UAS that rings and never answers: INVITE -> 180, then CANCEL -> 200 (CANCEL)
  + 487 (INVITE) -> ACK.
{UAS_KEYS}''', body)

# ---------- uas_bye.xml ----------
body = INVITE_RECV_PARTIES + resp(180, "Ringing") + resp(200, "OK", sdp="", retrans=True) + '''
  <recv request="ACK" crlf="true"/>

  <!-- talk for -d ms, then the callee hangs up -->
  <pause/>

  <send retrans="500" start_txn="bye">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      [routes]
      From: [$local_party];tag=[pid]SIPpTag01[call_number]
      To: [$remote_party]
      Call-ID: [call_id]
      CSeq: 1 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>

  <recv response="200" response_txn="bye"/>
'''
write('uas_bye.xml', f'''  UAS where the callee hangs up: INVITE -> 180 -> 200 -> ACK -> pause (-d ms)
  -> BYE -> 200.
{UAS_KEYS}''', body)

# ---------- uac_noauth.xml: INVITE without credentials must only get 407 ----------
body = invite("inv1", False) + '''
  <recv response="100" optional="true" response_txn="inv1"/>
  <!-- anything but 407 (a 180/200 would mean the call was routed) fails -->
  <recv response="407" response_txn="inv1"/>
''' + ack_non2xx("inv1")
write('uac_noauth.xml', '''  UAC that never authenticates: INVITE -> 407 -> ACK, and stops there.
  A 1xx/2xx instead of the 407 is an unexpected message and fails the call.
  Keys: -s USER (callee), -key caller USER.''', body)
