module zerocopyps/goproxy

go 1.19
