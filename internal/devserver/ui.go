package devserver

import (
	"net"
	"strconv"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// newUIServer builds the real Temporal UI, served from the assets embedded in
// ui-server, talking to the in-process frontend.
func newUIServer(ip string, port int, frontend, namespace string) *uiserver.Server {
	return uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		Host:                ip,
		Port:                port,
		TemporalGRPCAddress: frontend,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		CORS:                uiconfig.CORS{CookieInsecure: true, AllowOrigins: []string{"http://" + net.JoinHostPort(ip, strconv.Itoa(port))}},
		HideLogs:            true,
		DisableNewsFetch:    true,
	}))
}
