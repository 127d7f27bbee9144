#!/usr/bin/env bash
# p2pimsctl against rights and the tracker, with real parts: PostgreSQL, rights and the tracker on
# free loopback ports in a temporary directory. The operator adds multi-MiB content with
# `content add` (hashing, RegisterContent, IndexContent), reads the tracker's index and swarm
# statistics, finishes a half-done add with `content index`, and gets clear errors that change
# nothing for bad input, unreachable services and conflicting content. Info-hashes are checked
# against p2pims-mktorrent's torrents, hashed by an independent bencode reader (Node.js).
source "$(dirname "$0")/../lib/harness.sh"

# These are read by tools/lib/suite.sh.
# shellcheck disable=SC2034
SUITE_SERVICES=(rights tracker)  # suite_down stops just what this test started
# shellcheck disable=SC2034
PG_PORT=$(free_port)
# shellcheck disable=SC2034
RIGHTS_GRPC=$(free_port) RIGHTS_ADMIN=$(free_port)
# shellcheck disable=SC2034
TRACKER_GRPC=$(free_port) TRACKER_ADMIN=$(free_port) TRACKER_BT=$(free_port)
DEAD_PORT=$(free_port)  # nobody listens here
trap harness_cleanup EXIT
suite_start_pg
suite_keys
suite_start rights
suite_start tracker
if ! suite_wait_ready 60; then
  fail "rights and the tracker became ready"
  exit 1
fi

CTL=$SUITE_BIN/tools/p2pimsctl/p2pimsctl
MKTORRENT=$SUITE_BIN/tools/p2pimsctl/p2pims-mktorrent
# Metainfo the tracker could not take is kept under TMPDIR: inside the suite's directory.
export TMPDIR=$SUITE_DIR/tmp
mkdir -p "$TMPDIR" "$SUITE_DIR/media/season" "$SUITE_DIR/out"

# ctl ARGS...: runs p2pimsctl against this rights and tracker (or CTL_RIGHTS, CTL_TRACKER);
# leaves OUT, ERR and RC.
ctl() {
  RC=0
  "$CTL" --rights "${CTL_RIGHTS:-127.0.0.1:$RIGHTS_GRPC}" \
    --tracker "${CTL_TRACKER:-127.0.0.1:$TRACKER_GRPC}" \
    --actor e2e-operator "$@" >"$SUITE_DIR/ctl.out" 2>"$SUITE_DIR/ctl.err" || RC=$?
  OUT=$(cat "$SUITE_DIR/ctl.out")
  ERR=$(cat "$SUITE_DIR/ctl.err")
}
# A scalar field of the JSON object in OUT: json_field NAME
json_field() { grep -o "\"$1\":\(\"[^\"]*\"\|[^,}]*\)" <<<"$OUT" | head -n 1 | sed 's/^[^:]*://; s/^"//; s/"$//'; }
has() { grep -qF -- "$1" <<<"$2"; }
lacks() { ! grep -qF -- "$1" <<<"$2"; }
sql() { suite_psql -tA -c "$1"; }
# What the two services hold, for "nothing changed" checks.
state() {
  sql "SELECT (SELECT count(*) FROM rights.content) || '/' || (SELECT count(*) FROM rights.audit)
              || '/' || (SELECT count(*) FROM tracker.content)"
}
rights_hashes() {
  sql "SELECT encode(info_hash_v1, 'hex') || ' ' || coalesce(encode(info_hash_v2, 'hex'), '')
       FROM rights.content WHERE content_id = '$1'"
}
tracker_hashes() {
  sql "SELECT encode(info_hash, 'hex') || ' ' || coalesce(encode(info_hash_v2_truncated, 'hex'), '')
       FROM tracker.content WHERE content_id = '$1'"
}
# The info-hashes of a .torrent: "V1 V2" (V2 empty for v1-only), computed here from the bytes of
# its bencoded info dictionary (SHA-1, and SHA-256 when it has "meta version" 2), not by
# libtorrent.
torrent_hashes() {
  node --input-type=module - "$1" <<'JS'
import fs from 'node:fs';
import crypto from 'node:crypto';
const b = fs.readFileSync(process.argv[2]);
let i = 0;
function value() {  // returns [start, end) of the value at i and moves past it
  const start = i, c = String.fromCharCode(b[i]);
  if (c === 'i') { i = b.indexOf(0x65, i) + 1; }
  else if (c === 'l' || c === 'd') {
    i++;
    while (b[i] !== 0x65) { if (c === 'd') key(); value(); }
    i++;
  } else {
    const colon = b.indexOf(0x3a, i);
    const len = Number(b.subarray(i, colon).toString());
    if (!(len >= 0)) throw new Error('bad bencode at ' + i);
    i = colon + 1 + len;
  }
  return [start, i];
}
function key() { const [s, e] = value(); return b.subarray(s, e).toString().replace(/^\d+:/, ''); }
if (b[i++] !== 0x64) throw new Error('not a dictionary');
let info = null;
while (b[i] !== 0x65) {
  const k = key(), [s, e] = value();
  if (k === 'info') info = b.subarray(s, e);
}
if (!info) throw new Error('no info dictionary');
const v1 = crypto.createHash('sha1').update(info).digest('hex');
const v2 = info.includes(Buffer.from('12:meta versioni2e'))
  ? crypto.createHash('sha256').update(info).digest('hex') : '';
console.log(`${v1} ${v2}`);
JS
}

head -c $((5 * 1024 * 1024 + 4321)) /dev/urandom >"$SUITE_DIR/media/movie.mkv"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$SUITE_DIR/media/trailer.mkv"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$SUITE_DIR/media/clip.mkv"
head -c 700000 /dev/urandom >"$SUITE_DIR/media/news.ts"
head -c 1500000 /dev/urandom >"$SUITE_DIR/media/season/e1.mkv"
head -c 900001 /dev/urandom >"$SUITE_DIR/media/season/e2.mkv"
head -c 1048576 /dev/urandom >"$SUITE_DIR/media/other.mkv"
for name in movie.mkv clip.mkv news.ts season other.mkv; do
  check "p2pims-mktorrent makes the reference torrent of $name" \
    "$MKTORRENT" "$SUITE_DIR/media/$name" "$SUITE_DIR/ref-$name.torrent"
done
check "p2pims-mktorrent makes a v1-only reference of news.ts" \
  "$MKTORRENT" --v1-only "$SUITE_DIR/media/news.ts" "$SUITE_DIR/ref-news-v1.torrent"
MOVIE_REF=$(torrent_hashes "$SUITE_DIR/ref-movie.mkv.torrent")
MOVIE_V1=${MOVIE_REF% *} MOVIE_V2=${MOVIE_REF#* }
check_eq "the reference v1 info-hash is 40 hex digits" 40 "$(tr -dc 0-9a-f <<<"$MOVIE_V1" | wc -c)"
check_eq "the reference v2 info-hash is 64 hex digits" 64 "$(tr -dc 0-9a-f <<<"$MOVIE_V2" | wc -c)"

echo "# content add: hash, register in rights, index in the tracker"
ctl --json content add "$SUITE_DIR/media/movie.mkv" --id movie --owner studio --price-model rental \
  --price 299 --currency EUR --rental-seconds 172800 --torrent-out "$SUITE_DIR/out/movie.torrent"
check_eq "content add exits 0" 0 "$RC"
check "stdout is one JSON object and nothing else" \
  node -e 'const o = JSON.parse(require("fs").readFileSync(0, "utf8")); if (o.content_id !== "movie") process.exit(1)' <<<"$OUT"
check_eq "stdout is one line" 1 "$(wc -l <<<"$OUT")"
check "stderr ends with the plain final line (stderr is not a terminal)" \
  has "hashed 5.0 MiB in " "$(tail -n 1 <<<"$ERR")"
check "no progress bar is drawn when stderr is not a terminal" lacks $'\r' "$ERR"
check_eq "the result says registered and indexed" "registered indexed" \
  "$(json_field rights) $(json_field tracker)"
check_eq "the v1 info-hash is p2pims-mktorrent's" "$MOVIE_V1" "$(json_field info_hash_v1)"
check_eq "the v2 info-hash is p2pims-mktorrent's" "$MOVIE_V2" "$(json_field info_hash_v2)"
check_eq "rights holds both info-hashes" "$MOVIE_V1 $MOVIE_V2" "$(rights_hashes movie)"
check_eq "the tracker holds the v1 and the truncated v2 info-hash" "$MOVIE_V1 ${MOVIE_V2:0:40}" \
  "$(tracker_hashes movie)"
check_eq "rights has the size, the title and the licence" "5247201|movie.mkv|rental|299" \
  "$(sql "SELECT size_bytes, title, price_model, price_minor FROM rights.content WHERE content_id = 'movie'")"
check_eq "the registration is audited with the actor" 1 \
  "$(sql "SELECT count(*) FROM rights.audit WHERE action = 'register_content' AND content_id = 'movie' AND actor = 'e2e-operator'")"
check_eq "--torrent-out holds the same torrent" "$MOVIE_V1 $MOVIE_V2" \
  "$(torrent_hashes "$SUITE_DIR/out/movie.torrent")"
check_eq "the tracker holds exactly the metainfo written" \
  "$(od -An -tx1 -v "$SUITE_DIR/out/movie.torrent" | tr -d ' \n')" \
  "$(sql "SELECT encode(metainfo, 'hex') FROM tracker.content WHERE content_id = 'movie'")"

echo "# the progress bar on a terminal"
RC=0
script -qefc "$(printf '%q ' "$CTL" --rights "127.0.0.1:$RIGHTS_GRPC" --tracker "127.0.0.1:$TRACKER_GRPC" \
  content add "$SUITE_DIR/media/trailer.mkv" --id trailer --owner studio --price-model free)" \
  "$SUITE_DIR/tty.log" </dev/null >/dev/null 2>&1 || RC=$?
TTY=$(cat "$SUITE_DIR/tty.log")
check_eq "content add on a terminal exits 0" 0 "$RC"
check "the bar is drawn in place" has $'\rhashing [' "$TTY"
check "the bar reaches 100 % with bytes of the total" has "100%  3.0 MiB / 3.0 MiB" "$TTY"
check "the bar gives a rate" grep -qE 'hashing \[[#.]+\] +[0-9]+%  [^ ]+ [KMG]?i?B / 3\.0 MiB  [0-9.]+ [KMG]?i?B/s' <<<"$TTY"
check "the final line replaces the bar" has $'\rhashed 3.0 MiB in ' "$TTY"
check_eq "trailer is in both services" "1 1" \
  "$(sql "SELECT count(*) FROM rights.content WHERE content_id = 'trailer'") $(sql "SELECT count(*) FROM tracker.content WHERE content_id = 'trailer'")"

echo "# the tracker's index (GetIndexedContent, ListIndexedContent)"
ctl --json content indexed movie
check_eq "indexed ID exits 0" "0:" "$RC:$ERR"
check_eq "it returns the v1 info-hash" "$MOVIE_V1" "$(json_field info_hash)"
check_eq "it returns the metainfo's size" "$(stat -c %s "$SUITE_DIR/out/movie.torrent")" \
  "$(json_field metainfo_bytes)"
ctl --json content indexed --info-hash "$MOVIE_V1"
check_eq "found by the v1 info-hash" "0:movie" "$RC:$(json_field content_id)"
ctl --json content indexed --info-hash "${MOVIE_V2:0:40}"
check_eq "found by the truncated v2 info-hash" "0:movie" "$RC:$(json_field content_id)"
ctl --json content indexed --info-hash "$MOVIE_V2"
check_eq "found by the whole v2 info-hash" "0:movie" "$RC:$(json_field content_id)"
ctl content indexed movie
check "the text form shows the truncated v2 info-hash" \
  has "info_hash_v2_truncated: ${MOVIE_V2:0:40}" "$OUT"
ctl content indexed
check_eq "list exits 0" 0 "$RC"
check_eq "list prints a header and both items in id order" "ID movie trailer" \
  "$(awk '{print $1}' <<<"$OUT" | tr '\n' ' ' | sed 's/ $//')"
ctl --json content indexed --page-size 1
check_eq "list follows pages to the end" 2 "$(grep -c '"content_id"' <<<"$OUT")"

echo "# content add again: safe, nothing changes"
before=$(state)
ctl --json content add "$SUITE_DIR/media/movie.mkv" --id movie --owner studio --price-model rental \
  --price 299 --currency EUR --rental-seconds 172800
check_eq "running content add again exits 0" 0 "$RC"
check_eq "... and says both were already done" "already_registered already_indexed" \
  "$(json_field rights) $(json_field tracker)"
check_eq "... with the same info-hash" "$MOVIE_V1" "$(json_field info_hash_v1)"
check_eq "... and changes nothing" "$before" "$(state)"

echo "# swarm stats (Tracker.SwarmStats)"
ctl --json swarm stats movie
check_eq "swarm stats exits 0" "0:" "$RC:$ERR"
check_eq "it names the swarm by its v1 info-hash" "$MOVIE_V1" "$(json_field info_hash)"
check_eq "a new swarm has no peers, completions, sessions or bytes" "0 0 0 0 0 0" \
  "$(for f in seeders leechers completed open_sessions bytes_down bytes_up; do json_field $f; done | tr '\n' ' ' | sed 's/ $//')"
ctl swarm stats --info-hash "${MOVIE_V2:0:40}"
check_eq "by truncated v2 info-hash exits 0" 0 "$RC"
check "the text form lists the counters" has "open_sessions: 0" "$OUT"
ctl swarm stats no-such-content
check_eq "an unknown id exits 1" 1 "$RC"
check "... with NOT_FOUND naming the id" \
  has "p2pimsctl: NOT_FOUND: content 'no-such-content' is not in the tracker's index at 127.0.0.1:$TRACKER_GRPC" "$ERR"
check_eq "... and nothing on stdout" "" "$OUT"
ctl swarm stats
check_eq "neither ID nor --info-hash exits 2" 2 "$RC"
ctl swarm stats movie --info-hash "$MOVIE_V1"
check_eq "both ID and --info-hash exit 2" 2 "$RC"
ctl swarm stats --info-hash abc
check_eq "a short info-hash exits 2" 2 "$RC"

echo "# a directory, and a v1-only torrent"
ctl --json content add "$SUITE_DIR/media/season/" --id season --owner studio --price-model free
check_eq "content add of a directory exits 0" "0:registered:indexed" "$RC:$(json_field rights):$(json_field tracker)"
check_eq "it is named after the directory" season "$(json_field title)"
SEASON_REF=$(torrent_hashes "$SUITE_DIR/ref-season.torrent")
check_eq "its info-hashes are p2pims-mktorrent's, in rights" "$SEASON_REF" "$(rights_hashes season)"
check_eq "... and in the tracker" "${SEASON_REF% *} $(cut -c1-40 <<<"${SEASON_REF#* }")" \
  "$(tracker_hashes season)"
check_eq "rights' size is the sum of the files" 2400001 \
  "$(sql "SELECT size_bytes FROM rights.content WHERE content_id = 'season'")"
ctl --json content add "$SUITE_DIR/media/news.ts" --id news --owner newsroom --price-model free --v1-only
check_eq "content add --v1-only exits 0" 0 "$RC"
check_eq "its v1 info-hash is p2pims-mktorrent --v1-only's, in rights" \
  "$(torrent_hashes "$SUITE_DIR/ref-news-v1.torrent")" "$(rights_hashes news)"
check_eq "the tracker has no truncated v2 info-hash for it" "$(json_field info_hash_v1) " \
  "$(tracker_hashes news)"

# news.ts gets libtorrent's 16 KiB pieces, so 64 KiB ones are another torrent (another id).
ctl --json content add "$SUITE_DIR/media/news.ts" --id news-64k --owner newsroom --price-model free \
  --v1-only --piece-kb 64
check_eq "content add --piece-kb 64 exits 0" 0 "$RC"
check_eq "... with 64 KiB pieces" 65536 "$(json_field piece_length)"

echo "# bad input: a clear message, and nothing changes"
before=$(state)
ctl content add "$SUITE_DIR/media/news.ts" --id news-odd --owner newsroom --price-model free --piece-kb 48
check_eq "a piece size that is not a power of two exits 2" 2 "$RC"
check "... saying what it must be" has "p2pimsctl: --piece-kb must be a power of two" "$ERR"
ctl content add "$SUITE_DIR/media/news.ts" --id news-odd --owner newsroom --price-model free --piece-kb 8
check_eq "a piece size below 16 KiB exits 2" 2 "$RC"
ctl content add "$SUITE_DIR/media/missing.mkv" --id missing --owner studio --price-model free
check_eq "a missing file exits 1" 1 "$RC"
check "... saying it cannot read it" \
  has "p2pimsctl: cannot read $SUITE_DIR/media/missing.mkv: No such file or directory" "$ERR"
ctl content add "$SUITE_DIR/media/clip.mkv" --owner studio --price-model free
check_eq "a missing --id exits 2" 2 "$RC"
check "... naming it" has "p2pimsctl: --id is required" "$ERR"
ctl content add --id clip --owner studio --price-model free
check_eq "a missing PATH exits 2" 2 "$RC"
ctl content add "$SUITE_DIR/media/clip.mkv" --id clip --owner studio
check_eq "a missing --price-model exits 2" 2 "$RC"
ctl content add "$SUITE_DIR/media/clip.mkv" --id clip --owner studio --price-model free \
  --torrent-out "$SUITE_DIR/no-such-dir/clip.torrent"
check_eq "an unwritable --torrent-out exits 1" 1 "$RC"
check "... before hashing" lacks "hashed" "$ERR"
mkdir -p "$SUITE_DIR/media/empty"
ctl content add "$SUITE_DIR/media/empty" --id clip --owner studio --price-model free
check_eq "an empty directory exits 1" 1 "$RC"
check "... saying there is nothing to hash" has "no data" "$ERR"
CTL_TRACKER=127.0.0.1:$DEAD_PORT ctl content add "$SUITE_DIR/media/clip.mkv" --id clip \
  --owner studio --price-model free
check_eq "an unreachable tracker exits 1" 1 "$RC"
check "... with UNAVAILABLE and the tracker's address" \
  has "p2pimsctl: UNAVAILABLE: tracker at 127.0.0.1:$DEAD_PORT" "$ERR"
check "... saying nothing was changed" has "nothing was registered or indexed" "$ERR"
check "... before hashing" lacks "hashed" "$ERR"
CTL_RIGHTS=127.0.0.1:$DEAD_PORT ctl content add "$SUITE_DIR/media/clip.mkv" --id clip \
  --owner studio --price-model free
check_eq "an unreachable rights exits 1" 1 "$RC"
check "... with UNAVAILABLE and rights' address" \
  has "p2pimsctl: UNAVAILABLE: rights at 127.0.0.1:$DEAD_PORT" "$ERR"
RC=0
P2PIMS_TRACKER=127.0.0.1:$DEAD_PORT "$CTL" --rights "127.0.0.1:$RIGHTS_GRPC" swarm stats movie \
  >/dev/null 2>"$SUITE_DIR/ctl.err" || RC=$?
check_eq "P2PIMS_TRACKER sets the tracker's address" 1 "$RC"
check "... and is named in the error" grep -qF "tracker at 127.0.0.1:$DEAD_PORT" "$SUITE_DIR/ctl.err"
check_eq "no bad input changed rights or the tracker" "$before" "$(state)"

echo "# refusals: what is in place is said, nothing else changes"
before=$(state)
ctl content add "$SUITE_DIR/media/other.mkv" --id movie --owner studio --price-model free
check_eq "a taken id with other content exits 1" 1 "$RC"
check "... with ALREADY_EXISTS and what differs" \
  has "p2pimsctl: ALREADY_EXISTS: rights already has content 'movie' and it is not this content: info-hash v1 $MOVIE_V1" "$ERR"
check "... saying nothing was changed" has "nothing was registered or indexed" "$ERR"
ctl content add "$SUITE_DIR/media/movie.mkv" --id movie-copy --owner studio --price-model free
check_eq "content already registered under another id exits 1" 1 "$RC"
check "... with rights' ALREADY_EXISTS" has "p2pimsctl: ALREADY_EXISTS:" "$ERR"
ctl content add "$SUITE_DIR/media/clip.mkv" --id clip --owner studio --price-model purchase \
  --price 100 --currency XYZ
check_eq "a licence rights refuses exits 1" 1 "$RC"
check "... with rights' INVALID_ARGUMENT" has "p2pimsctl: INVALID_ARGUMENT:" "$ERR"
check "... saying nothing was changed" has "nothing was registered or indexed" "$ERR"
check_eq "no refusal changed rights or the tracker" "$before" "$(state)"

echo "# rights accepts, the tracker refuses: exit 3, the state, and how to finish"
CLIP_REF=$(torrent_hashes "$SUITE_DIR/ref-clip.mkv.torrent")
# Someone indexed clip's info-hash by hand under another id.
sql "INSERT INTO tracker.content (content_id, info_hash, name, size_bytes)
     VALUES ('squatter', decode('${CLIP_REF% *}', 'hex'), 'clip.mkv', 2097152)" >/dev/null
ctl content add "$SUITE_DIR/media/clip.mkv" --id clip --owner studio --price-model free
check_eq "registered but not indexed exits 3" 3 "$RC"
check "... with the tracker's refusal naming the other id" \
  has "p2pimsctl: ALREADY_EXISTS: the tracker indexes info-hash ${CLIP_REF% *} as content 'squatter', not 'clip'" "$ERR"
check "... saying what state things are in" \
  has "content 'clip' is now registered in rights but is NOT indexed in the tracker" "$ERR"
FINISH=$(grep -o "p2pimsctl content index clip --torrent [^ ]*" <<<"$ERR" || true)
check "... naming the command that finishes it" test -n "$FINISH"
check_eq "rights has clip" "$CLIP_REF" "$(rights_hashes clip)"
check_eq "the tracker does not" 0 "$(sql "SELECT count(*) FROM tracker.content WHERE content_id = 'clip'")"
sql "DELETE FROM tracker.content WHERE content_id = 'squatter'" >/dev/null
# shellcheck disable=SC2086  # FINISH is the command line printed by p2pimsctl
ctl ${FINISH#p2pimsctl } --json
check_eq "the named command finishes it" "0:indexed" "$RC:$(json_field result)"
CLIP_V2=${CLIP_REF#* }
check_eq "the tracker now has clip with its info-hashes" "${CLIP_REF% *} ${CLIP_V2:0:40}" \
  "$(tracker_hashes clip)"
ctl --json content add "$SUITE_DIR/media/clip.mkv" --id clip --owner studio --price-model free
check_eq "content add afterwards finds both done" "0:already_registered:already_indexed" \
  "$RC:$(json_field rights):$(json_field tracker)"

echo "# content index (IndexContent for registered content)"
ctl --json content register --id other --owner studio --price-model free \
  --torrent "$SUITE_DIR/ref-other.mkv.torrent"
check_eq "register (rights only) exits 0" "0:" "$RC:$ERR"
before=$(state)
ctl content index other --torrent "$SUITE_DIR/ref-clip.mkv.torrent"
check_eq "another content's torrent exits 1" 1 "$RC"
check "... saying it is not the registered torrent" has "is not the torrent registered for 'other'" "$ERR"
ctl content index unregistered --torrent "$SUITE_DIR/ref-other.mkv.torrent"
check_eq "unregistered content exits 1" 1 "$RC"
check "... with NOT_FOUND" has "p2pimsctl: NOT_FOUND: content 'unregistered' is not registered in rights" "$ERR"
ctl content index other
check_eq "content index without --torrent exits 2" 2 "$RC"
ctl content index other --torrent "$SUITE_DIR/media/other.mkv"
check_eq "a file that is not a torrent exits 1" 1 "$RC"
check "... naming it" has "p2pimsctl: $SUITE_DIR/media/other.mkv: not a valid .torrent" "$ERR"
check_eq "none of these changed anything" "$before" "$(state)"
ctl --json content index other --torrent "$SUITE_DIR/ref-other.mkv.torrent"
check_eq "content index exits 0" "0:indexed" "$RC:$(json_field result)"
OTHER_REF=$(torrent_hashes "$SUITE_DIR/ref-other.mkv.torrent")
OTHER_V2=${OTHER_REF#* }
check_eq "the tracker has the torrent's info-hashes" "${OTHER_REF% *} ${OTHER_V2:0:40}" \
  "$(tracker_hashes other)"
ctl --json content index other --torrent "$SUITE_DIR/ref-other.mkv.torrent"
check_eq "content index again is done already" "0:already_indexed" "$RC:$(json_field result)"

echo "# the tracker down"
suite_stop tracker
before=$(state)
ctl content add "$SUITE_DIR/media/news.ts" --id news-2 --owner newsroom --price-model free
check_eq "content add with the tracker down exits 1" 1 "$RC"
check "... with UNAVAILABLE and the tracker's address" \
  has "p2pimsctl: UNAVAILABLE: tracker at 127.0.0.1:$TRACKER_GRPC" "$ERR"
check_eq "... and changes nothing" "$before" "$(state)"
ctl content indexed
check_eq "content indexed with the tracker down exits 1" 1 "$RC"

harness_finish
