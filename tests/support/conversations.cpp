#include "support/conversations.h"

namespace outpost::test {

ConversationStep Conversations::follow(const TransportPacket& packet) {
  ConversationStep step;
  step.key = (packet.tcp() ? "tcp " : "udp ") + packet.flow();
  const auto found = initiator_of_.find(step.key);
  if (found == initiator_of_.end()) {
    initiator_of_.emplace(step.key, packet.src());
  } else if (packet.tcp() && packet.pure_syn() && found->second != packet.src()) {
    found->second = packet.src();
    step.restarted = true;
  }
  step.from_initiator = initiator_of_[step.key] == packet.src();
  return step;
}

}  // namespace outpost::test
