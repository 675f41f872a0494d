package main

import (
	"log/slog"
	"path/filepath"

	"softswitch/internal/config"
	"softswitch/media"
	"softswitch/switching"
)

// mediaConfig opens the RTP port pool and the per-party media policy from
// the config's media section (nil pool when anchoring is off).
func mediaConfig(cfg *config.Config, log *slog.Logger) (switching.MediaConfig, error) {
	m := cfg.Media
	if !m.On() {
		log.Info("media: not anchored (media.enabled: false): SDP passes unchanged")
		return switching.MediaConfig{}, nil
	}
	pool, err := media.NewPool(media.PoolConfig{Addr: m.BindAddr, Min: m.PortMin, Max: m.PortMax, ReadBuffer: m.ReadBufferBytes, Logger: log})
	if err != nil {
		return switching.MediaConfig{}, err
	}
	// Recordings are named by an absolute path: audit verify reads them
	// from wherever it runs.
	recordDir, err := filepath.Abs(m.RecordDir)
	if err != nil {
		return switching.MediaConfig{}, err
	}
	direct, record := cfg.MediaPolicy()
	log.Info("media: anchored", "bind", m.BindAddr, "advertise", m.AdvertiseAddr, "ports", pool.Stats().Capacity,
		"port_min", m.PortMin, "port_max", m.PortMax)
	return switching.MediaConfig{Pool: pool, Advertise: m.AdvertiseAddr, LearnWindow: m.LearnWindow, Timeout: m.Timeout,
		HoldTimeout: m.HoldTimeout, StatsInterval: m.StatsInterval, RecordDir: recordDir, RecordHeader: m.RecordHeader,
		Direct: func(p string) bool { return direct[p] }, Record: func(p string) bool { return record[p] }}, nil
}
