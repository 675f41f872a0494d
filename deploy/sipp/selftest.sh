#!/usr/bin/env bash
# Checks the scenarios in this directory SIPp-to-SIPp on loopback, without the
# switch: each UAC file against the UAS file it is meant to meet, plus small
# stand-ins in selftest/ for what only the switch does (digest challenges,
# 404/480 answers). SIPp can verify MD5 digests (verifyauth), so the 401/407
# branches are exercised for real.
#
# Every run is bounded: -m 1, a timeout(1) around each SIPp, and the UAS is
# killed by pid if it outlives its caller.
set -euo pipefail
cd "$(dirname "$0")"
command -v sipp >/dev/null || { echo "selftest: sipp not installed (deploy/local/install-sipp.sh)"; exit 1; }

out=$(mktemp -d /tmp/sipp-selftest.XXXXXX)
UAS_PORT=${UAS_PORT:-15170}
UAC_PORT=${UAC_PORT:-15171}
fail=0
# common options: loopback only, one call, no keyboard, distinct control and
# media ports per side so the two SIPp processes never collide
common=(-i 127.0.0.1 -m 1 -nostdin -timeout 15 -max_recv_loops 1000)

# pair NAME UAS_FILE "UAS_ARGS" UAC_FILE "UAC_ARGS" [EXPECTED_UAS_RC]
pair() {
  local name=$1 uas=$2 uas_args=$3 uac=$4 uac_args=$5 want_uas=${6:-0}
  # shellcheck disable=SC2086
  timeout 20 sipp -sf "$uas" "${common[@]}" -p "$UAS_PORT" -cp 18890 -mp 16000 \
      -trace_msg -message_file "$out/$name.uas.msg" $uas_args >"$out/$name.uas.out" 2>&1 &
  local uas_pid=$!
  sleep 0.3   # let the UAS bind before the first INVITE
  local uac_rc=0 uas_rc=0
  # shellcheck disable=SC2086
  timeout 20 sipp -sf "$uac" "${common[@]}" -p "$UAC_PORT" -cp 18891 -mp 16100 \
      -trace_msg -message_file "$out/$name.uac.msg" $uac_args "127.0.0.1:$UAS_PORT" \
      >"$out/$name.uac.out" 2>&1 || uac_rc=$?
  # the UAS should end on its own right after the call (timewait <= 0.5 s)
  for _ in $(seq 1 50); do kill -0 "$uas_pid" 2>/dev/null || break; sleep 0.1; done
  kill "$uas_pid" 2>/dev/null || true
  wait "$uas_pid" || uas_rc=$?
  if [[ $uac_rc == 0 && $uas_rc == "$want_uas" ]]; then
    echo "PASS $name"
  else
    echo "FAIL $name (uac rc=$uac_rc, uas rc=$uas_rc; logs in $out/$name.*)"; fail=1
  fi
}

# fixed-code stand-ins for the switch's 404/408/480
for c in "404 Not Found" "408 Request Timeout" "480 Temporarily Unavailable"; do
  sed -e "s/CODE/${c%% *}/g" -e "s/REASON/${c#* }/" selftest/uas_code.tmpl >"$out/uas_${c%% *}.xml"
done

cred="-key user 6000 -key password 1234"
regcred="-key user 6001 -key password 1234"
caller="-s 6001 -key caller 6000 -au 6000 -ap 1234"
reg="-key user 6001 -key contact 127.0.0.1:5071 -key expires 60 -au 6001"

pair answered      uas.xml                  ""   uac.xml          "$caller -d 200"
pair answered_auth selftest/uas_auth.xml    "$cred" uac.xml       "$caller -d 200"
pair reinvite      uas.xml                  ""   uac_reinvite.xml "$caller -d 200"
grep -q 'a=sendonly' "$out/reinvite.uas.msg" && echo "PASS reinvite carries a=sendonly" || { echo "FAIL reinvite sdp"; fail=1; }
pair busy          uas_busy.xml             ""   uac_busy.xml     "$caller"
pair cancel        uas_noanswer.xml         ""   uac_cancel.xml   "$caller -d 300"
pair callee_bye    uas_bye.xml              "-d 300" uac_wait_bye.xml "$caller"
pair noanswer_480  "$out/uas_480.xml" "" uac_noanswer.xml "$caller"
pair noanswer_408  "$out/uas_408.xml" "" uac_noanswer.xml "$caller"
pair notfound_404  "$out/uas_404.xml" "" uac_notfound.xml "$caller"
pair notfound_480  "$out/uas_480.xml" "" uac_notfound.xml "$caller"
pair register      selftest/registrar.xml   "$regcred"  register.xml         "$reg -ap 1234"
pair unregister    selftest/registrar.xml   "$regcred"  unregister.xml       "$reg -ap 1234"
pair wrongpw       selftest/registrar.xml   "$regcred"  register_wrongpw.xml "$reg -ap wrong"

[[ $fail == 0 ]] && { echo "selftest: all passed"; rm -rf "$out"; } || echo "selftest: FAILED (logs kept in $out)"
exit $fail
