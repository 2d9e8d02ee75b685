// Real answers of miniupnpd 2.3.1 (Debian bookworm's miniupnpd-nftables), captured in the NAT
// lab (test/interop/nat-lab.ts, a home router with `portMapping: true`, WAN 11.0.0.11, LAN
// 192.168.1.1, the host 192.168.1.2), for the codecs' and the port mapper's unit tests.

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

// SSDP answer to a unicast M-SEARCH for WANIPConnection:1 (sent from 192.168.1.1:1900).
export const SSDP_ANSWER = ascii(
  "HTTP/1.1 200 OK\r\n" +
  "CACHE-CONTROL: max-age=120\r\n" +
  "ST: urn:schemas-upnp-org:service:WANIPConnection:1\r\n" +
  "USN: uuid:ff07bb54-d695-418b-9b38-bf7f188d433d::urn:schemas-upnp-org:service:WANIPConnection:1\r\n" +
  "EXT:\r\n" +
  "SERVER: Debian/6.18.44-fc-v669 UPnP/1.1 MiniUPnPd/2.3.1\r\n" +
  "LOCATION: http://192.168.1.1:33437/rootDesc.xml\r\n" +
  "OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n" +
  "01-NLS: 1795528133\r\n" +
  "BOOTID.UPNP.ORG: 1795528133\r\n" +
  "CONFIGID.UPNP.ORG: 1337\r\n" +
  "\r\n",
);

// GET /rootDesc.xml: an IGD 2 that lists WANIPConnection:2 only (miniupnpd without
// force_igd_desc_v1), nested three devices deep.
export const ROOT_DESCRIPTION = "<?xml version=\"1.0\"?>\r\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\" configId=\"1337\"><specVersion><major>1</major><minor>1</minor></specVersion><device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType><friendlyName>Debian router</friendlyName><manufacturer>Debian</manufacturer><manufacturerURL>http://www.debian.org/</manufacturerURL><modelDescription>Debian router</modelDescription><modelName>Debian router</modelName><modelNumber>1</modelNumber><modelURL>http://www.debian.org/</modelURL><serialNumber>00000000</serialNumber><UDN>uuid:ff07bb54-d695-418b-9b38-bf7f188d433b</UDN><serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><serviceId>urn:upnp-org:serviceId:L3Forwarding1</serviceId><SCPDURL>/L3F.xml</SCPDURL><controlURL>/ctl/L3F</controlURL><eventSubURL>/evt/L3F</eventSubURL></service><service><serviceType>urn:schemas-upnp-org:service:DeviceProtection:1</serviceType><serviceId>urn:upnp-org:serviceId:DeviceProtection1</serviceId><SCPDURL>/DP.xml</SCPDURL><controlURL>/ctl/DP</controlURL><eventSubURL>/evt/DP</eventSubURL></service></serviceList><deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:2</deviceType><friendlyName>WANDevice</friendlyName><manufacturer>MiniUPnP</manufacturer><manufacturerURL>http://miniupnp.free.fr/</manufacturerURL><modelDescription>WAN Device</modelDescription><modelName>WAN Device</modelName><modelNumber>20221221</modelNumber><modelURL>http://miniupnp.free.fr/</modelURL><serialNumber>00000000</serialNumber><UDN>uuid:ff07bb54-d695-418b-9b38-bf7f188d433c</UDN><UPC>000000000000</UPC><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType><serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId><SCPDURL>/WANCfg.xml</SCPDURL><controlURL>/ctl/CmnIfCfg</controlURL><eventSubURL>/evt/CmnIfCfg</eventSubURL></service></serviceList><deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:2</deviceType><friendlyName>WANConnectionDevice</friendlyName><manufacturer>MiniUPnP</manufacturer><manufacturerURL>http://miniupnp.free.fr/</manufacturerURL><modelDescription>MiniUPnP daemon</modelDescription><modelName>MiniUPnPd</modelName><modelNumber>20221221</modelNumber><modelURL>http://miniupnp.free.fr/</modelURL><serialNumber>00000000</serialNumber><UDN>uuid:ff07bb54-d695-418b-9b38-bf7f188d433d</UDN><UPC>000000000000</UPC><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><SCPDURL>/WANIPCn.xml</SCPDURL><controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL></service><service><serviceType>urn:schemas-upnp-org:service:WANIPv6FirewallControl:1</serviceType><serviceId>urn:upnp-org:serviceId:WANIPv6Firewall1</serviceId><SCPDURL>/WANIP6FC.xml</SCPDURL><controlURL>/ctl/IP6FCtl</controlURL><eventSubURL>/evt/IP6FCtl</eventSubURL></service></serviceList></device></deviceList></device></deviceList><presentationURL>http://192.168.1.1/</presentationURL></device></root>";

// PCP ANNOUNCE answer (24 bytes): version 2, R|ANNOUNCE, result 0, lifetime 0, epoch 1.
export const PCP_ANNOUNCE_ANSWER = hex("02800000 00000000 00000001 000000000000000000000000");

// PCP MAP answer for nonce 01..0c, UDP 41641 → 11.0.0.11:41641, lifetime 7200, epoch 1.
export const PCP_NONCE = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
export const PCP_MAP_ANSWER = hex(
  "02810000 00001c20 00000001 000000000000000000000000" + // header
    "0102030405060708090a0b0c 11 000000 a2a9 a2a9 00000000000000000000ffff0b00000b", // MAP
);
// The same request claiming to come from 192.168.1.9: ADDRESS_MISMATCH (12), lifetime 0.
export const PCP_ADDRESS_MISMATCH_ANSWER = hex(
  "0281000c 00000000 00000001 000000000000000000000000" + "0102030405060708090a0b0c 11 000000 a2aa a2aa 00000000000000000000ffff00000000",
);

// NAT-PMP external address answer: opcode 128, result 0, epoch 1, 11.0.0.11.
export const NATPMP_ADDRESS_ANSWER = hex("0080 0000 00000001 0b00000b");
// NAT-PMP UDP map answer: opcode 129, result 0, epoch 1, 41641 → 41641, lifetime 7200.
export const NATPMP_MAP_ANSWER = hex("0081 0000 00000001 a2a9 a2a9 00001c20");

// SOAP answers from the WANIPConnection:2 control URL (/ctl/IPConn).
export const GET_EXTERNAL_IP_ANSWER = "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:GetExternalIPAddressResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\"><NewExternalIPAddress>11.0.0.11</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>\r\n";
export const ADD_PORT_MAPPING_ANSWER = "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:AddPortMappingResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\"/></s:Body></s:Envelope>\r\n";
export const DELETE_PORT_MAPPING_ANSWER = "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:DeletePortMappingResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\"></u:DeletePortMappingResponse></s:Body></s:Envelope>\r\n";
// HTTP 500: the external port is mapped to another LAN host.
export const CONFLICT_FAULT = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>";
// HTTP 500: outside the permission rules (port 80).
export const NOT_AUTHORIZED_FAULT = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>606</errorCode><errorDescription>Action not authorized</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>";
