// A libtorrent disk back end for the terminal and the origin: plain reads and writes, as
// libtorrent's own posix_disk_io (no memory-mapped files, whose pages would count as the
// process's memory), but each file is opened once and kept open until the torrent stops, at most
// `file_pool_size` (libtorrent's setting, 40) files at once across torrents: past that the least
// recently used is closed.
// posix_disk_io opens, stats, seeks and closes the file around every 16 KiB block it writes or
// hashes: 51,000 system calls for a 100 MB fetch instead of 12,800 (bench/README.md).
//
// Like posix_disk_io it works on the network thread and posts the completions to it. Not
// supported (the callers never ask): moving or renaming files (an error), part files for
// files of priority 0 (their blocks are written in place), resume data (files on disk are
// checked in full).
//
//   lt::session_params params(settings);
//   params.disk_io_constructor = p2pims::bt::KeptOpenDiskIo;
#pragma once

#include <libtorrent/disk_interface.hpp>
#include <libtorrent/io_context.hpp>
#include <libtorrent/performance_counters.hpp>
#include <libtorrent/settings_pack.hpp>
#include <memory>

namespace p2pims::bt {

std::unique_ptr<lt::disk_interface> KeptOpenDiskIo(lt::io_context& ioc,
                                                   const lt::settings_interface& settings,
                                                   lt::counters& counters);

}  // namespace p2pims::bt
