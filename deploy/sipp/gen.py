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

# ---------- uac_shed.xml: answered, or shed with 503 by an overloaded switch ----------
def answered_or_shed(txn):
    return provisional(txn) + f'''  <recv response="503" optional="true" response_txn="{txn}" next="shed_{txn}"/>
  <recv response="200" response_txn="{txn}" rrs="true" next="answered"/>
  <label id="shed_{txn}"/>
''' + ack_non2xx(txn) + '''  <nop>
    <action>
      <log message="SHED [call_id]"/>
    </action>
  </nop>
  <nop next="done"/>
'''
body = auth_block(answered_or_shed)
body += '''  <label id="answered"/>
''' + ACK2XX.replace('[TXN]', 'inv2') + '''
  <!-- call duration: -d MILLISECONDS on the command line -->
  <pause/>

''' + bye() + '''
  <label id="done"/>
'''
write('uac_shed.xml', f'''  UAC for overload steps: as uac.xml, but a 503 (the switch shedding load,
  sip.overload_queue_delay) at either INVITE is an expected outcome: ACK,
  a "SHED <call-id>" line in the -trace_logs file, and the call ends
  successfully. Anything else unexpected fails the call, as in uac.xml.
{KEYS}    -d MS             how long to stay in the call before BYE''', body)

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

# ---------- uac_unavailable.xml: every trunk full ----------
def only(code):
    def f(txn):
        return provisional(txn) + f'''  <recv response="{code}" response_txn="{txn}"/>
''' + ack_non2xx(txn)
    return f
write('uac_unavailable.xml', f'''  UAC expecting 503 Service Unavailable (every trunk towards the number at
  capacity): INVITE (-> 407 -> ACK -> INVITE with credentials) -> [1xx] ->
  503 -> ACK.
{KEYS}''', auth_block(only(503)))

write('uac_barred.xml', f'''  UAC expecting 403 (the caller's calling policy bars the number, e.g.
  international calls): INVITE (-> 407 -> ACK -> INVITE with credentials)
  -> [1xx] -> 403 -> ACK.
{KEYS}''', auth_block(only(403)))

write('uac_payment.xml', f'''  UAC expecting 402 Payment Required (a prepaid account with no credit
  left): INVITE (-> 407 -> ACK -> INVITE with credentials) -> [1xx] -> 402
  -> ACK.
{KEYS}''', auth_block(only(402)))

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
# the callee's side of a call it ends itself: ACK, talk for -d ms, BYE
CALLEE_HANGS_UP = '''
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
body = INVITE_RECV_PARTIES + resp(180, "Ringing") + resp(200, "OK", sdp="", retrans=True) + CALLEE_HANGS_UP
write('uas_bye.xml', f'''  UAS where the callee hangs up: INVITE -> 180 -> 200 -> ACK -> pause (-d ms)
  -> BYE -> 200.
{UAS_KEYS}''', body)

# ---------- uas_sdp_bye.xml: uas_bye answering with SDP (an agent's phone) ----------
body = INVITE_RECV_PARTIES + resp(180, "Ringing") + resp(200, "OK", sdp="      a=sendrecv\n", retrans=True) + CALLEE_HANGS_UP
write('uas_sdp_bye.xml', f'''  UAS answering with SDP (PCMU) where the callee hangs up: INVITE -> 180 ->
  200 (SDP) -> ACK -> pause (-d ms) -> BYE -> 200. The dialer's e2e tests use
  it as an agent's phone.
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

# ======================= carrier gateways (gw_*) =======================
# SIPp playing a carrier's gateway/trunk/registrar for the interconnect
# tests (issue 4). Existing files above are untouched by this section.
#
# Out-of-call OPTIONS: SIPp in server mode makes a new call of the main
# scenario for every new Call-ID, so each gw_* UAS starts with an optional
# OPTIONS recv that answers 200 and ends that "call" (counted as a successful
# call and in -m; see docs/testing-gateways.md). -aa alone is not enough: it
# answers 200 but leaves the call waiting for an INVITE forever.
#
# Every INVITE/REGISTER received is written as one line to the -log_file
# (needs -trace_logs): fields separated by "|", each NAME=VALUE, first field
# the event (invite, invite_auth, register).

GW_OPTIONS_RECV = '''  <!-- keepalive OPTIONS (own Call-ID, so a "call" of its own): 200 and done -->
  <recv request="OPTIONS" optional="true" next="options"/>
'''

GW_OPTIONS_REPLY = '''  <label id="options"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTagOpt[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Allow: INVITE, ACK, BYE, CANCEL, OPTIONS
      Accept: application/sdp
      Content-Length: 0

    ]]>
  </send>
'''

GW_CONTACT = "      Contact: <sip:[$dialled]@[local_ip]:[local_port]>\n"

def gw_invite_actions(event, extra_ereg="", extra_log=""):
    # Request-URI user (the dialled number as the carrier receives it), the
    # From/To users, P-Asserted-Identity (user and whole header), Privacy.
    return f'''    <action>
      <ereg regexp="^[A-Z]+ [st][ie][pl]s?:([^@;&gt; ]+)" search_in="msg" assign_to="junk,dialled"/>
      <ereg regexp="[st][ie][pl]s?:([^@;&gt; ]+)" search_in="hdr" header="From:" assign_to="junk,from_user"/>
      <ereg regexp="[st][ie][pl]s?:([^@;&gt; ]+)" search_in="hdr" header="To:" assign_to="junk,to_user"/>
      <ereg regexp="[st][ie][pl]s?:([^@;&gt; ]+)" search_in="hdr" header="P-Asserted-Identity:" case_indep="true" assign_to="junk,pai_user"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="P-Asserted-Identity:" case_indep="true" assign_to="pai"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="Privacy:" case_indep="true" assign_to="privacy"/>
{extra_ereg}      <log message="{event}|dialled=[$dialled]|from=[$from_user]|to=[$to_user]|pai_user=[$pai_user]|call_id=[call_id]|privacy=[$privacy]|pai=[$pai]{extra_log}"/>
    </action>
'''

def gw_resp(code, reason, tag="01", sdp=False, contact=True, retrans=False, extra="", nxt=None):
    t = f";tag=[pid]SIPpTag{tag}[call_number]" if tag else ""
    c = GW_CONTACT if contact else ""
    r = ' retrans="500"' if retrans else ""
    if nxt:
        r += f' next="{nxt}"'
    ct, body = "      Content-Length: 0\n", ""
    if sdp:
        ct = "      Content-Type: application/sdp\n      Content-Length: [len]\n"
        body = '''
      v=0
      o=gw 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 0
      a=rtpmap:8 PCMA/8000
      a=rtpmap:0 PCMU/8000
'''
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

GW_TRYING = gw_resp(100, "Trying", tag=None, contact=False)

# answered call from the final 200 on: ACK, re-INVITEs, BYE (txn "tag" of the 2xx)
def gw_incall(tag):
    return gw_resp(200, "OK", tag=tag, sdp=True, retrans=True) + '''  <recv request="ACK" crlf="true"/>

  <!-- in the call: any number of re-INVITEs (200 with the same SDP) until the BYE -->
  <label id="incall"/>
  <recv request="INVITE" optional="true" next="reinvite"/>
  <recv request="BYE"/>
''' + gw_resp(200, "OK", tag=None, contact=False) + '''  <nop next="end"/>

  <label id="reinvite"/>
''' + gw_resp(200, "OK", tag=None, sdp=True, retrans=True) + '''  <recv request="ACK" next="incall"/>

'''

GW_END = '''  <label id="end"/>
  <!-- keep the call around for late retransmissions -->
  <timewait milliseconds="500"/>
'''

GW_RUN = '''  Run as: sipp -sf FILE -i 127.0.0.1 -p PORT [-m N] -trace_logs -log_file F
  (no remote host: it answers whoever sends). -aa additionally answers
  OPTIONS/INFO/UPDATE/NOTIFY that arrive INSIDE a call (same Call-ID) with 200.
  Out-of-call OPTIONS (keepalives) are answered 200 by the scenario itself;
  each one is a separate SIPp "call": it counts as a successful call and
  towards -m, so when the switch pings the trunk start it without -m (or with
  -m covering the pings) and stop it with SIGUSR1 (itest SIPp.Stop).
  Log (-trace_logs -log_file F; -log_file is needed, else SIPp writes next to
  this file), one line per INVITE received:
    invite|dialled=R-URI user|from=From user|to=To user|pai_user=P-Asserted-
    Identity user|call_id=...|privacy=Privacy header|pai=whole PAI header
  (a missing header gives an empty value; the last two may contain spaces but
  never "|").'''

# ---------- gw_answer.xml ----------
body = GW_OPTIONS_RECV + '''  <recv request="INVITE" crlf="true" rrs="true">
''' + gw_invite_actions("invite") + '''  </recv>
''' + GW_TRYING + gw_resp(180, "Ringing") + '''
  <!-- ringing time: -d ms (0 by default) -->
  <pause/>

''' + gw_incall("01") + GW_OPTIONS_REPLY + GW_END
write('gw_answer.xml', f'''  Carrier gateway that answers every call (issue 4 interconnect tests):
  INVITE -> 100 -> 180 -> pause (-d ms) -> 200 (SDP, PCMA+PCMU) -> ACK, then
  any number of re-INVITE -> 200 -> ACK, then BYE -> 200.
  Any number of calls; OPTIONS keepalives answered 200 at any time.
{GW_RUN}
  Keys: none required. -d MS = ringing time before the 200.''', body)

# ---------- gw_code.xml: every INVITE gets -key code ----------
GW_CODES = [(403, "Forbidden"), (404, "Not Found"), (408, "Request Timeout"),
            (480, "Temporarily Unavailable"), (484, "Address Incomplete"),
            (486, "Busy Here"), (487, "Request Terminated"), (488, "Not Acceptable Here"),
            (500, "Server Internal Error"), (502, "Bad Gateway"),
            (503, "Service Unavailable"), (504, "Server Time-out"),
            (600, "Busy Everywhere"), (603, "Decline")]
# SIPp needs the status code literal in the XML (it checks it when loading,
# before -key values are pasted in), so -key code picks one of these branches.
sel = "".join(f'      <test assign_to="is_{c}" variable="code_n" compare="equal" value="{c}"/>\n' for c, _ in GW_CODES)
body = GW_OPTIONS_RECV + '''  <recv request="INVITE" crlf="true" rrs="true">
''' + gw_invite_actions("invite", extra_ereg='''      <assignstr assign_to="code_s" value="[code]"/>
      <todouble assign_to="code_n" variable="code_s"/>
''' + sel, extra_log="|code=[code]") + '''  </recv>
''' + GW_TRYING + "\n"
body += "".join(f'  <nop hide="true" test="is_{c}" next="c{c}"/>\n' for c, _ in GW_CODES)
body += '''  <!-- a -key code not in the list: the call fails without a final answer -->
  <nop>
    <action>
      <log message="error|unsupported -key code [code]"/>
      <exec int_cmd="stop_call"/>
    </action>
  </nop>

'''
for c, r in GW_CODES:
    # next= on the send itself: an ACK arriving while the call sits on a
    # <nop> would be taken as unexpected
    body += f'  <label id="c{c}"/>\n' + gw_resp(c, r, contact=False, retrans=True, nxt="ack") + "\n"
body += '''  <label id="ack"/>
  <recv request="ACK" crlf="true"/>
  <nop next="end"/>

''' + GW_OPTIONS_REPLY + GW_END
codes = ", ".join(str(c) for c, _ in GW_CODES)
write('gw_code.xml', f'''  Carrier gateway that refuses every call with one final code:
  INVITE -> 100 -> CODE (standard reason phrase) -> ACK.
  Any number of calls; OPTIONS keepalives answered 200 at any time.
{GW_RUN}
  The log line also carries |code=CODE.
  Keys: -key code CODE (required), one of
    {codes}
  (5xx/408 should make the switch fail over, 4xx/6xx about the callee not.)
  SIPp cannot take a status code from -key at load time, so each code is a
  branch here with its standard reason phrase; an unlisted code fails the
  call without answering.''', body)

# ---------- gw_challenge.xml / gw_challenge_401.xml ----------
def challenge(code, reason, hdr, authhdr, verify):
    s = GW_OPTIONS_RECV + '''  <recv request="INVITE" crlf="true" rrs="true">
''' + gw_invite_actions("invite", extra_ereg='''      <assignstr assign_to="nonce" value="gw[pid]n[call_number]x[clock_tick]"/>
''') + '''  </recv>
''' + gw_resp(code, reason, contact=False, retrans=True,
              extra=f'      {hdr}: Digest realm="[realm]", nonce="[$nonce]", algorithm=MD5\n') + f'''  <recv request="ACK" crlf="true"/>

  <!-- the INVITE again, with credentials -->
  <recv request="INVITE" crlf="true" rrs="true">
'''
    if verify:
        check = '''      <verifyauth assign_to="auth_ok" username="[user]" password="[password]"/>
'''
    else:
        check = f'''      <ereg regexp="username=&quot;([^&quot;]*)&quot;" search_in="hdr" header="{authhdr}:" case_indep="true" assign_to="junk,got_user"/>
      <ereg regexp="realm=&quot;([^&quot;]*)&quot;" search_in="hdr" header="{authhdr}:" case_indep="true" assign_to="junk,got_realm"/>
      <ereg regexp="nonce=&quot;([^&quot;]*)&quot;" search_in="hdr" header="{authhdr}:" case_indep="true" assign_to="junk,got_nonce"/>
      <ereg regexp="response=&quot;[0-9a-fA-F]{{32}}&quot;" search_in="hdr" header="{authhdr}:" case_indep="true" assign_to="has_response"/>
      <assignstr assign_to="want_user" value="[user]"/>
      <assignstr assign_to="want_realm" value="[realm]"/>
      <strcmp assign_to="d_user" variable="got_user" variable2="want_user"/>
      <strcmp assign_to="d_realm" variable="got_realm" variable2="want_realm"/>
      <strcmp assign_to="d_nonce" variable="got_nonce" variable2="nonce"/>
      <test assign_to="bad_user" variable="d_user" compare="not_equal" value="0"/>
      <test assign_to="bad_realm" variable="d_realm" compare="not_equal" value="0"/>
      <test assign_to="bad_nonce" variable="d_nonce" compare="not_equal" value="0"/>
'''
    s += gw_invite_actions("invite_auth", extra_ereg=check + f'''      <ereg regexp="[^ ].*" search_in="hdr" header="{authhdr}:" case_indep="true" assign_to="creds"/>
''', extra_log="|nonce=[$nonce]|authorization=[$creds]") + '''  </recv>
'''
    if verify:
        s += '  <nop hide="true" test="auth_ok" next="good"/>\n'
    else:
        s += '''  <nop hide="true" test="bad_user" next="reject"/>
  <nop hide="true" test="bad_realm" next="reject"/>
  <nop hide="true" test="bad_nonce" next="reject"/>
  <nop hide="true" test="has_response" next="good"/>
'''
    s += '''
  <label id="reject"/>
''' + gw_resp(403, "Forbidden", tag="02", contact=False, retrans=True) + '''  <recv request="ACK" crlf="true"/>
  <nop next="end"/>

  <label id="good"/>
''' + GW_TRYING + gw_resp(180, "Ringing", tag="02") + gw_incall("02") + GW_OPTIONS_REPLY + GW_END
    return s

CH_KEYS = '''  Keys (all required): -key realm REALM, -key user USER, -key password PW
  (the credentials the switch's trunk is configured with; SIPp's -au/-ap are
  for the client side only, a UAS has no keyword for them).'''
write('gw_challenge.xml', f'''  Carrier gateway that challenges INVITEs with 407 Proxy-Authenticate
  (digest MD5, realm -key realm, no qop): INVITE -> 407 -> ACK -> INVITE with
  Proxy-Authorization -> checks -> 100 -> 180 -> 200 (SDP) -> ACK -> BYE -> 200,
  or 403 -> ACK when the checks fail.
  Checks: username = -key user, realm = -key realm, nonce = the one we sent,
  response = 32 hex digits. SIPp 3.6's verifyauth only reads Authorization:
  (not Proxy-Authorization:), so the MD5 response is NOT checked here: the
  log line carries the nonce and the whole Proxy-Authorization header for the
  test to recompute (response = MD5(MD5(user:realm:pw):nonce:MD5(INVITE:uri)));
  gw_challenge_401.xml checks the MD5 itself.
{GW_RUN}
  Log: an "invite" line for the first INVITE, an "invite_auth" line for the
  second, which ends with |nonce=N|authorization=Digest username="..",...
{CH_KEYS}''', challenge(407, "Proxy Authentication Required", "Proxy-Authenticate", "Proxy-Authorization", False))
write('gw_challenge_401.xml', f'''  Carrier gateway that challenges INVITEs with 401 WWW-Authenticate (digest
  MD5, realm -key realm, no qop) and verifies the MD5 response with SIPp's
  verifyauth: INVITE -> 401 -> ACK -> INVITE with Authorization -> 100 -> 180
  -> 200 (SDP) -> ACK -> BYE -> 200, or 403 -> ACK on a wrong digest.
{GW_RUN}
  Log: "invite" line, then "invite_auth" ending with
  |nonce=N|authorization=Digest username="..",...
{CH_KEYS}''', challenge(401, "Unauthorized", "WWW-Authenticate", "Authorization", True))

# ---------- gw_registrar.xml ----------
REG_LOG = '''      <ereg regexp="[st][ie][pl]s?:([^@;&gt; ]+)" search_in="hdr" header="To:" assign_to="junk,aor"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="Contact:" assign_to="contact"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="Expires:" assign_to="req_expires"/>
      <ereg regexp="^ *0+ *$" search_in="hdr" header="Expires:" assign_to="unreg"/>
      <ereg regexp="expires=0+([^0-9]|$)" search_in="hdr" header="Contact:" case_indep="true" assign_to="unreg_c"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="Authorization:" assign_to="creds"/>
'''
def reg_recv(n):
    return f'''  <recv request="REGISTER" crlf="true">
    <action>
{REG_LOG}      <verifyauth assign_to="ok{n}" username="[user]" password="[password]"/>
      <log message="register|aor=[$aor]|call_id=[call_id]|cseq=[cseq]|expires=[$req_expires]|contact=[$contact]|authorization=[$creds]"/>
    </action>
  </recv>
'''
def reg_resp(code, reason, extra=""):
    return f'''  <send>
    <![CDATA[
      SIP/2.0 {code} {reason}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
{extra}      Content-Length: 0

    ]]>
  </send>
'''
body = reg_recv(1) + '''  <!-- credentials already good (a refresh reusing the last nonce): no challenge -->
  <nop hide="true" test="ok1" next="ok"/>
''' + reg_resp(401, "Unauthorized", '      WWW-Authenticate: Digest realm="[realm]", nonce="gw[pid]r[call_number]x[clock_tick]", algorithm=MD5\n') + reg_recv(2) + '''  <nop hide="true" test="ok2" next="ok"/>
''' + reg_resp(403, "Forbidden") + '''  <nop next="result"/>

  <label id="ok"/>
  <nop hide="true" test="unreg" next="unregistered"/>
  <nop hide="true" test="unreg_c" next="unregistered"/>
''' + reg_resp(200, "OK", "      [last_Contact:]\n      Expires: [expires]\n") + '''  <nop next="result"/>

  <label id="unregistered"/>
''' + reg_resp(200, "OK", "      Expires: 0\n") + '''
  <label id="result"/>
  <nop>
    <action>
      <log message="register_done|aor=[$aor]|call_id=[call_id]|ok=[$ok1][$ok2]|unregister=[$unreg][$unreg_c]"/>
    </action>
  </nop>
  <timewait milliseconds="200"/>
'''
write('gw_registrar.xml', '''  Carrier registrar (digest registration to a carrier, issue 4):
  REGISTER -> 401 WWW-Authenticate (MD5, realm -key realm, fresh nonce) ->
  REGISTER with Authorization -> verifyauth -> 200 (Contact echoed,
  Expires: -key expires) or 403.
  A REGISTER whose Authorization already verifies (a refresh reusing the
  previous nonce) gets the 200 at once; one without gets a new 401 (carriers
  that challenge every refresh). Expires: 0 / ;expires=0 gets 200 Expires: 0.
  Each REGISTER exchange (one Call-ID, until the 200/403) is one SIPp call, so
  -m N stops after N registrations (initial + refreshes + unregister); a
  refresh with the same Call-ID arriving later starts a new SIPp call.
  Run as: sipp -sf gw_registrar.xml -i 127.0.0.1 -p PORT -m N
          -key realm R -key user U -key password P -key expires S
          -trace_logs -log_file F
  Log, one line per REGISTER received, then one per exchange:
    register|aor=To user|call_id=..|cseq=..|expires=Expires header|contact=whole Contact header|authorization=whole Authorization header (empty if none)
    register_done|aor=..|call_id=..|ok=..|unregister=..
  Keys (all required): realm, user, password (checked by verifyauth: the MD5
  is verified, the nonce is not), expires (granted, seconds).''', body)

# ---------- gw_inbound.xml / gw_inbound_rejected.xml: carrier calls in ----------
GW_UAC_KEYS = '''  Run as: sipp -sf FILE -i 127.0.0.1 -p PORT -m 1 -s DID -key caller NUMBER SWITCH_HOST:PORT
    -s DID            the number called, as the carrier sends it (Request-URI
                      and To user), e.g. 861012345678
    -key caller NUM   the carrier's caller number (From user), e.g. 8613800138000
  No credentials: the switch must accept the call on the trunk's source
  address (IP ACL), never by digest.'''
body = invite("inv1", False) + '''
  <recv response="100" optional="true" response_txn="inv1"/>
''' + answered("inv1") + ACK2XX.replace('[TXN]', 'inv1') + '''
  <!-- call duration: -d MILLISECONDS on the command line -->
  <pause/>

''' + bye()
write('gw_inbound.xml', f'''  Carrier gateway sending a call IN to the switch (DID):
  INVITE (no auth) -> [100] [180] [183] -> 200 -> ACK -> pause (-d ms) -> BYE -> 200.
  A 407/401 or any other final answer is an unexpected message: the call
  fails (use gw_inbound_rejected.xml when a refusal is expected).
{GW_UAC_KEYS}
    -d MS             how long to stay in the call before BYE''', body)
body = invite("inv1", False) + '''
  <recv response="100" optional="true" response_txn="inv1"/>
  <recv response="401" optional="true" response_txn="inv1" next="refused"/>
  <recv response="403" optional="true" response_txn="inv1" next="refused"/>
  <recv response="404" optional="true" response_txn="inv1" next="refused"/>
  <recv response="407" response_txn="inv1"/>
  <label id="refused"/>
''' + ack_non2xx("inv1")
write('gw_inbound_rejected.xml', f'''  Call IN from an address/trunk the switch must refuse: INVITE (no auth)
  -> [100] -> 401, 403, 404 or 407 -> ACK. A 1xx ringing/2xx (the call was
  routed) or another code is an unexpected message and fails the call, so a
  "successful call" means "refused"; the code is in the -trace_msg log.
{GW_UAC_KEYS}''', body)

# ======================= session timers (RFC 4028, issue 11) =======================
def invite_hdrs(txn, auth, extra):
    # invite() with extra header lines (each "      Name: value\n") before Max-Forwards.
    return invite(txn, auth).replace("      Max-Forwards: 70\n", extra + "      Max-Forwards: 70\n", 1)

def auth_block_hdrs(expect_after, extra):
    return auth_block(expect_after).replace(invite("inv1", False), invite_hdrs("inv1", False, extra)).replace(
        invite("inv2", True), invite_hdrs("inv2", True, extra))

# ---------- uac_timer.xml: a caller that stays up, answering refreshes ----------
TIMER_CALLER_HDRS = '''      Supported: timer
      Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE
'''
IN_CALL_REFRESHES = '''
  <!-- in the call: answer the switch's refreshes (UPDATE, or a re-INVITE
       with the same SDP) until the switch's BYE -->
  <label id="incall"/>
  <recv request="UPDATE" optional="true" next="update"/>
  <recv request="INVITE" optional="true" next="reinvite"/>
  <recv request="BYE"/>
''' + resp(200, "OK", tag=False, contact=False) + '''  <nop next="end"/>

  <label id="update"/>
''' + resp(200, "OK", tag=False).replace("<send>", '<send next="incall">', 1) + '''

  <label id="reinvite"/>
''' + resp(200, "OK", tag=False, sdp="", retrans=True) + '''  <recv request="ACK" next="incall"/>

  <label id="end"/>
'''
body = auth_block_hdrs(answered, TIMER_CALLER_HDRS) + ACK2XX.replace('[TXN]', 'inv2') + IN_CALL_REFRESHES
write('uac_timer.xml', f'''  UAC that supports session timers and stays in the call: INVITE with
  Supported: timer and Allow: UPDATE (-> 407 -> ACK -> INVITE with
  credentials) -> 200 -> ACK, then answers any number of UPDATE (200) and
  re-INVITE (200 with SDP, then ACK) refreshes until the switch's BYE (200).
{KEYS}''', body)

# ---------- uac_timer_422.xml / uac_timer_400.xml: refused session timers ----------
SE_KEYED = '''      Supported: timer
      Session-Expires: [se]
'''
def refused(code, check=""):
    def f(txn):
        return f'''  <recv response="{code}" response_txn="{txn}">{check}</recv>
''' + ack_non2xx(txn)
    return f
MIN_SE_CHECK = '''
    <action>
      <!-- RFC 4028 §6: a 422 carries the Min-SE the switch accepts -->
      <ereg regexp="[0-9]+" search_in="hdr" header="Min-SE:" check_it="true" assign_to="min_se"/>
      <log message="min_se=[$min_se]"/>
    </action>
  '''
write('uac_timer_422.xml', f'''  UAC asking for a session interval below the switch's Min-SE:
  INVITE with Session-Expires: [se] (-> 407 -> ACK -> INVITE with
  credentials) -> 422 with a Min-SE header -> ACK. Logs "min_se=N"
  (-trace_logs -log_file F).
{KEYS}    -key se VALUE     the Session-Expires value sent''', auth_block_hdrs(refused(422, MIN_SE_CHECK), SE_KEYED))
write('uac_timer_400.xml', f'''  UAC sending a Session-Expires that does not parse: INVITE with
  Session-Expires: [se] (-> 407 -> ACK -> INVITE with credentials) -> 400
  -> ACK.
{KEYS}    -key se VALUE     the Session-Expires value sent''', auth_block_hdrs(refused(400), SE_KEYED))

# ---------- gw_timer.xml: a gateway that sets its own session interval ----------
body = GW_OPTIONS_RECV + '''  <recv request="INVITE" crlf="true" rrs="true">
''' + gw_invite_actions("invite") + '''  </recv>
''' + GW_TRYING + gw_resp(180, "Ringing") + gw_incall("01").replace(
    gw_resp(200, "OK", tag="01", sdp=True, retrans=True),
    gw_resp(200, "OK", tag="01", sdp=True, retrans=True, extra="      Supported: timer\n      Require: timer\n      Session-Expires: [se]\n"), 1) + GW_OPTIONS_REPLY + GW_END
write('gw_timer.xml', f'''  Carrier gateway that answers with its own session timer: as
  gw_answer.xml, but the 200 carries Session-Expires: [se] (e.g.
  "3;refresher=uac": a shorter interval, the switch refreshing), and it
  answers the switch's re-INVITE refreshes until the BYE.
{GW_RUN}
  Keys: -key se VALUE (the Session-Expires of the 200).''', body)

# ---------- uac_hold.xml: talk 8 s unless the switch hangs up first ----------
body = auth_block(answered) + ACK2XX.replace('[TXN]', 'inv2') + '''
  <!-- talk for 8 s; the switch may cut the call first (credit, limits) -->
  <recv request="BYE" timeout="8000" ontimeout="hangup"/>
''' + resp(200, "OK", tag=False, contact=False) + '''  <nop next="end"/>

  <label id="hangup"/>
''' + bye() + '''
  <label id="end"/>
'''
write('uac_hold.xml', f'''  UAC that talks for 8 s and hangs up, unless the switch hangs up first:
  answered call as uac.xml, then either a BYE from the switch within 8 s
  (answered 200) or, after 8 s, its own BYE -> 200. Either way the call is
  a success; the CDR tells which happened.
{KEYS}''', body)
