package devserver

import (
	"net"
	"strconv"
	"time"

	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

const clusterName = "active"

// serverConfig is the Temporal server configuration of one start.
type serverConfig struct {
	conf *config.Config
	sql  *config.SQL
}

// buildConfig lays out a single-node cluster: the frontend on the requested
// port, the other services on free loopback ports, SQLite in the state dir.
func buildConfig(opts Options, frontendPort int) (*serverConfig, error) {
	sqlConf := sqliteConfig(opts.StateDir)
	httpPort, err := freePort(opts.IP)
	if err != nil {
		return nil, err
	}
	services := map[string]config.Service{
		string(primitives.FrontendService): {RPC: config.RPC{GRPCPort: frontendPort, HTTPPort: httpPort, BindOnIP: opts.IP}},
	}
	for _, name := range []primitives.ServiceName{primitives.HistoryService, primitives.MatchingService, primitives.WorkerService} {
		port, err := freePort(opts.IP)
		if err != nil {
			return nil, err
		}
		services[string(name)] = config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: opts.IP}}
	}
	frontend := net.JoinHostPort(opts.IP, strconv.Itoa(frontendPort))

	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = opts.IP
	conf.Persistence.DefaultStore = "sqlite"
	conf.Persistence.VisibilityStore = "sqlite"
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: sqlConf}}
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontend,
				HTTPAddress:            net.JoinHostPort(opts.IP, strconv.Itoa(httpPort)),
				ClusterID:              "drillbook-dev",
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = services
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontend
	return &serverConfig{conf: &conf, sql: sqlConf}, nil
}

// serverOptions are the temporal.NewServer options for this configuration.
func (c *serverConfig) serverOptions(opts Options) []temporal.ServerOption {
	hosts := map[primitives.ServiceName]static.Hosts{}
	for _, name := range []primitives.ServiceName{primitives.FrontendService, primitives.HistoryService, primitives.MatchingService, primitives.WorkerService} {
		port := c.conf.Services[string(name)].RPC.GRPCPort
		hosts[name] = static.SingleLocalHost(net.JoinHostPort(opts.IP, strconv.Itoa(port)))
	}
	dynamic := dynamicconfig.StaticClient{
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8192,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// Let the UI's Start Workflow form and `drillbook` send updates and signals.
		dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key(): true,
		// Hand a step's activity to the worker that scheduled it: one round
		// trip less per step.
		dynamicconfig.EnableActivityEagerExecution.Key(): true,
		// One partition per task queue: a single node gains nothing from
		// more, and a task never waits to be forwarded between them.
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
	}
	return []temporal.ServerOption{
		temporal.WithConfig(c.conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(serverLogger{log: opts.Logger.With("component", "temporal"), level: opts.LogLevel}),
		temporal.WithDynamicConfigClient(dynamic),
	}
}
