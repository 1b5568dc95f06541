package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	sdklog "go.temporal.io/sdk/log"
)

const defaultAddress = "127.0.0.1:7233"

// clientFlags are the connection flags of every command that talks to an
// existing Temporal cluster. Flags override the standard TEMPORAL_* variables
// and the profile, which override the defaults.
type clientFlags struct {
	profile   string
	address   string
	namespace string
}

func (f *clientFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.address, "address", "", "Temporal frontend host:port (default $TEMPORAL_ADDRESS, the profile, or "+defaultAddress+")")
	cmd.Flags().StringVar(&f.namespace, "namespace", "", "Temporal namespace (default $TEMPORAL_NAMESPACE, the profile, or default)")
	cmd.Flags().StringVar(&f.profile, "profile", "", "profile in the Temporal client config file (default $TEMPORAL_PROFILE)")
}

// options resolves the client options from the environment, the profile and the flags.
func (f *clientFlags) options(logger *slog.Logger) (client.Options, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{ConfigFileProfile: f.profile})
	if err != nil {
		return client.Options{}, usageErrorf("temporal client configuration: %w", err)
	}
	if f.address != "" {
		opts.HostPort = f.address
	}
	if opts.HostPort == "" {
		opts.HostPort = defaultAddress
	}
	if f.namespace != "" {
		opts.Namespace = f.namespace
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	opts.Logger = sdklog.NewStructuredLogger(logger)
	return opts, nil
}

// dial connects to Temporal with the resolved options.
func (f *clientFlags) dial(logger *slog.Logger) (client.Client, error) {
	opts, err := f.options(logger)
	if err != nil {
		return nil, err
	}
	c, err := client.Dial(opts)
	if err != nil {
		return nil, fmt.Errorf("connect to temporal at %s (namespace %s): %w", opts.HostPort, opts.Namespace, err)
	}
	return c, nil
}
