#pragma once
// Test-only: which conversation (TCP connection or UDP flow) a TransportPacket belongs to and
// which side sent it, for tests that drive a parser per conversation without a flow table.

#include <map>
#include <string>

#include "support/decoded_capture.h"

namespace outpost::test {

struct ConversationStep {
  std::string key;              // transport and both endpoints, the same for either direction
  bool from_initiator = false;  // sent by the side that started the conversation
  bool restarted = false;       // a TCP SYN from the other side replaced an earlier connection
};

// The initiator is the sender of the first packet, or of a pure SYN (RFC 9293 §3.5): a pure SYN
// from the responder side starts a new connection with the roles swapped (port reuse).
class Conversations {
 public:
  ConversationStep follow(const TransportPacket& packet);

 private:
  std::map<std::string, std::string> initiator_of_;  // key -> initiator endpoint
};

}  // namespace outpost::test
