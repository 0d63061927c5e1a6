"""Print the WSDL as served with the default public URL.

``python -m soap_service > wsdl/container_gateway.wsdl`` refreshes the
committed copy after a change to the SOAP types or operations.
"""

import sys

from gateway.config import Settings
from soap_service.application import build_wsdl

sys.stdout.buffer.write(build_wsdl(Settings().soap_address))
