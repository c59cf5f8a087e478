using FlexiDiT.Server;

// Configuration: appsettings.json next to the program, FlexiDiT__* / Server__* environment variables, --key=value arguments.
var app = FlexiDiTServer.Build(FlexiDiTServer.CreateBuilder(args));
await app.RunAsync();
