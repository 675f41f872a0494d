package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// cmdCampaign is `softswitch campaign …`: the campaign API from the
// command line, against the running switch (docs/dialer.md). Answers are
// printed as the API gives them (JSON).
func cmdCampaign(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError(usage)
	}
	verb := args[0]
	var cf commonFlags
	fs := newFlagSet("campaign "+verb, &cf)
	// Each verb takes the flags it uses, so its --help lists those alone.
	var name, agent string
	var login, logout bool
	if verb != "define" {
		fs.StringVar(&name, "name", "", "the campaign's name")
	}
	if verb == "agent" {
		fs.StringVar(&agent, "agent", "", "the agent (a subscriber) to log in or out")
		fs.BoolVar(&login, "login", false, "log the agent in")
		fs.BoolVar(&logout, "logout", false, "log the agent out")
	}
	file, err := parseOptionalFile(fs, args[1:])
	if err != nil {
		return err
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	api := newAdminAPI(cfg.HTTP)
	need := func(what, v string) error {
		if v == "" {
			return usageError(what + " is required\n" + usage)
		}
		return nil
	}
	switch verb {
	case "define":
		if err := need("SPEC.json or SPEC.yaml", file); err != nil {
			return err
		}
		ct := "application/json"
		if ext := strings.ToLower(filepath.Ext(file)); ext == ".yaml" || ext == ".yml" {
			ct = "application/yaml"
		}
		return postFile(ctx, api, stdout, "/api/v1/campaigns", ct, file)
	case "leads":
		if err := need("--name", name); err != nil {
			return err
		}
		if err := need("LEADS.csv", file); err != nil {
			return err
		}
		return postFile(ctx, api, stdout, "/api/v1/campaigns/"+name+"/leads", "text/csv", file)
	case "start", "pause", "resume", "stop":
		if err := need("--name", name); err != nil {
			return err
		}
		return callAPI(ctx, api, stdout, http.MethodPost, "/api/v1/campaigns/"+name+"/"+verb, "", nil)
	case "agent":
		if err := need("--name", name); err != nil {
			return err
		}
		if err := need("--agent", agent); err != nil {
			return err
		}
		if login == logout {
			return usageError("one of --login and --logout is required\n" + usage)
		}
		action := "login"
		if logout {
			action = "logout"
		}
		return callAPI(ctx, api, stdout, http.MethodPost, "/api/v1/campaigns/"+name+"/agents/"+agent+"/"+action, "", nil)
	case "show":
		path := "/api/v1/campaigns"
		if name != "" {
			path += "/" + name
		}
		return callAPI(ctx, api, stdout, http.MethodGet, path, "", nil)
	}
	return usageError(usage)
}

// cmdDNC is `softswitch dnc add NUMBERS.csv`.
func cmdDNC(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError(usage)
	}
	var cf commonFlags
	fs := newFlagSet("dnc add", &cf)
	file, err := parseOptionalFile(fs, args[1:])
	if err != nil {
		return err
	}
	if file == "" {
		return usageError("NUMBERS.csv is required\n" + usage)
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	return postFile(ctx, newAdminAPI(cfg.HTTP), stdout, "/api/v1/dnc", "text/csv", file)
}

// parseOptionalFile parses flags around at most one positional FILE.
func parseOptionalFile(fs *flag.FlagSet, args []string) (string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) > 1 {
		return "", usageError("at most one file: got " + strings.Join(pos, ", ") + "\n" + usage)
	}
	if len(pos) == 0 {
		return "", nil
	}
	return filepath.Clean(pos[0]), nil
}

func postFile(ctx context.Context, api adminAPI, stdout io.Writer, path, contentType, file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return usageError(err.Error())
	}
	return callAPI(ctx, api, stdout, http.MethodPost, path, contentType, b)
}

// callAPI sends one request and prints the answer; a 4xx is a usage error
// (the API names the field), anything else not 2xx an error.
func callAPI(ctx context.Context, api adminAPI, stdout io.Writer, method, path, contentType string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := api.request(ctx, method, path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the switch's admin API at %s: %w", api.addr, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		if len(bytes.TrimSpace(out)) > 0 {
			_, _ = stdout.Write(out)
		}
		return nil
	case res.StatusCode == http.StatusBadRequest || res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusConflict:
		return usageError(string(bytes.TrimSpace(out)))
	}
	return api.answered(res, out)
}
