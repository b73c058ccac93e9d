# FleetQuant Gateway as its own process (operator REST API + MQTT bridge, an Orleans client of the silos).
# Build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t fleetquant/gateway .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Gateway/FleetQuant.Gateway.csproj src/Gateway/
COPY src/Grains.Abstractions/FleetQuant.Grains.Abstractions.csproj src/Grains.Abstractions/
COPY src/Api.Contracts/FleetQuant.Api.Contracts.csproj src/Api.Contracts/
COPY src/Protocol/FleetQuant.Protocol.csproj src/Protocol/
RUN dotnet restore src/Gateway/FleetQuant.Gateway.csproj
COPY src/ src/
RUN dotnet publish src/Gateway/FleetQuant.Gateway.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://+:8080
USER $APP_UID
EXPOSE 8080
ENTRYPOINT ["dotnet", "FleetQuant.Gateway.dll"]
