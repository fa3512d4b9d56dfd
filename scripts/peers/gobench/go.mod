module zerocopyps/gobench

go 1.19
